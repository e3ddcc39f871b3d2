"""Orchestration: the Dagster definitions, the resources they use and the command line."""
