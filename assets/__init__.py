"""The Dagster assets, in the order a return flows through them:

1. raw_returns   - every return file read as text, with lineage     (raw.*)
2. return_gate   - the Pandera gate: typed rows in, failures out   (validated.*, quarantine.*)
3. sql_models    - the SQL models of sql/: staging, intermediate, marts
"""
