"""Steps 3 to 6 and the audit, the SQL models: each file under sql/staging,
sql/intermediate, sql/marts, sql/quality and sql/audit is one `SELECT`, materialised as a
table in the DuckDB schema named by its folder, and one Dagster asset
(assets/sql_models.py).

One module per job, in the order a model meets them:

- model.py: what a model is (SqlModel) and the layers, in build order.
- header.py: the header comment, a contract: the keys a model may state
  (grain, partitioning) and its description; an unknown key is an error.
- model_files.py: reading the files under sql/ into models, their dependencies
  read from the SQL itself.
- findings.py: the findings contract every check model is held to, and
  quality.dq_flags assembled from the check models.
- tables.py: building a model's table (whole, or by reporting period), with its
  descriptions written into the warehouse.
- checks.py: the checks run on each table after it is built.
"""
