"""The Dagster assets, in the order a return flows through them (the steps of README.md,
"Follow a return through the folders"):

1.   raw_returns         every return file read as text, with lineage (raw.*, quarantine.*)
     reference_data      the register of the returns expected         (reference.*)
2.   return_gate         the Pandera gate: typed rows in, failures out (validated.*, quarantine.*)
3-6. sql_models          the SQL models of sql/: staging, intermediate, marts, quality, audit
     expectation_checks  the Great Expectations suites on the fact table and three marts
     audit_trail         every state of the fact table's figures      (audit.*)
7.   publish             the build replaces the published warehouse in one atomic rename
8.   quarterly_reports   each authority's quarterly report, as HTML and Excel
"""
