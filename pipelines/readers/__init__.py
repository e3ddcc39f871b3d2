"""Readers: what turns a file in the returns folder into rows, before any asset sees it."""
