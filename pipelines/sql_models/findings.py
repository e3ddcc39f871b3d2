"""The findings contract, held here rather than in each check model.

Each data-quality check model (sql/quality/check_*.sql) selects exactly the
contract's columns (FINDING_COLUMNS), which the loader casts to the contract's
types, and its grain is the contract's (FINDING_GRAIN: the check, the return row
and the period it is about), whatever its header says. quality.dq_flags is not a
file: the loader assembles it from every check model it finds, so a new check
cannot be left out.
"""

from pathlib import Path

from sqlglot import expressions as exp

from pipelines.sql_models.model import SqlModel, SqlModelError

# A quality model named check_* holds one data-quality check's findings.
FINDINGS_PREFIX = "check_"
FINDINGS_LAYER = "quality"
# Every finding of every check, assembled by the loader.
FINDINGS_TABLE = "dq_flags"

# The findings contract: (column, type, description), in this order.
FINDING_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("authority", "varchar", "The council whose return the finding is about."),
    ("reporting_period", "varchar",
     "The reporting period of the return to put right, e.g. '2024-25 Q2'."),
    ("priority_number", "smallint",
     "The strategy priority the indicator is filed under; NULL where there is none."),
    ("ref", "varchar",
     "The indicator (or milestone) the finding is about; NULL for a whole return or file."),
    ("period_key", "varchar",
     "The period of the figure the finding is about; NULL where it is about the return."),
    ("check_name", "varchar", "The check that found it, e.g. 'reported_variance_mismatch'."),
    ("severity", "varchar",
     "ERROR (the figure cannot be right, or a file must be resent), WARN (it needs a look or "
     "an explanation) or INFO (worth knowing: a cell that says nothing, a figure restated)."),
    ("message", "varchar", "What was found, in a sentence for the service lead."),
    ("observed", "varchar", "What the return says."),
    ("expected", "varchar", "What the check expected instead."),
    ("source_file_path", "varchar",
     "The return file to open, relative to the returns folder; NULL where none has arrived."),
    ("source_row_number", "integer", "The row of that file, as the spreadsheet numbers it."),
)  # fmt: skip
# A finding is one check's, about one row of one file (or one missing return) and period:
# two findings of one check on one row are one finding.
FINDING_GRAIN = (
    "authority", "reporting_period", "check_name", "priority_number", "ref", "period_key",
    "source_file_path", "source_row_number",
)  # fmt: skip
_FINDINGS_TABLE_DESCRIPTION = """\
Every data-quality finding of the run, one row each: what a service lead
reads to put a return right. Assembled from every check model
(sql/quality/check_*.sql), each held to the same columns.
severity: ERROR (the figure cannot be right, or a file must be resent), WARN
(it needs a look or an explanation), INFO (worth knowing)."""


def is_check_file(layer: str, path: Path) -> bool:
    """A file holding a data-quality check's findings (sql/quality/check_*.sql)."""
    return layer == FINDINGS_LAYER and path.stem.startswith(FINDINGS_PREFIX)


def is_findings_model(model: SqlModel) -> bool:
    """A data-quality check's model (sql/quality/check_*.sql)."""
    return model.layer == FINDINGS_LAYER and model.name.startswith(FINDINGS_PREFIX)


def is_findings_table(model: SqlModel) -> bool:
    """quality.dq_flags, the findings of every check."""
    return model.table == f"{FINDINGS_LAYER}.{FINDINGS_TABLE}"


def held_to_findings_contract(path: Path, query: exp.Query, sql: str) -> str:
    """The check model's SQL with its columns in the contract's order and types; a check
    that selects other columns is refused with the difference."""
    selected = [projection.alias_or_name for projection in query.selects]
    expected = [name for name, _, _ in FINDING_COLUMNS]
    if sorted(selected) != sorted(expected):
        missing = [name for name in expected if name not in selected]
        extra = [name for name in selected if name not in expected]
        raise SqlModelError(
            f"{path}: a check model selects exactly the findings columns "
            f"({', '.join(expected)}); missing: {', '.join(missing) or 'none'}; "
            f"not in the contract: {', '.join(extra) or 'none'}"
        )
    columns = ",\n    ".join(
        f"cast({name} as {type_}) as {name}" for name, type_, _ in FINDING_COLUMNS
    )
    return f"select\n    {columns}\nfrom (\n{sql.rstrip().rstrip(';')}\n) as findings"


def findings_table_model(sql_dir: Path, checks: list[SqlModel]) -> SqlModel:
    """quality.dq_flags: every check model's findings, one after another. The loader
    casts each check's columns to the contract, so a plain UNION ALL lines them up."""
    sql = "\nunion all\n".join(f"select * from {check.table}" for check in checks)
    return SqlModel(
        layer=FINDINGS_LAYER,
        name=FINDINGS_TABLE,
        path=sql_dir / FINDINGS_LAYER,
        sql=sql,
        description=_FINDINGS_TABLE_DESCRIPTION,
        grain=FINDING_GRAIN,
        upstream=frozenset(check.key for check in checks),
        partitioned_by="reporting_period",
        column_descriptions=tuple((name, text) for name, _, text in FINDING_COLUMNS),
    )
