"""A printed variance, trend or quartile is judged against the figures of the return
that printed it, and the finding sends the service lead to that return's row: never to
a later return that restated the figures."""

from __future__ import annotations

PRINTED_FIGURE_CHECKS = (
    "reported_variance_mismatch", "reported_trend_mismatch", "reported_quartile_mismatch",
)  # fmt: skip


def test_each_printed_figure_finding_names_the_row_of_the_return_that_printed_it(
    sample_warehouse,
) -> None:
    findings = sample_warehouse.sql(
        "select flags.check_name, flags.reporting_period, flags.ref, "
        "returns.reporting_period as return_reporting_period "
        "from quality.dq_flags as flags "
        "left join staging.stg_indicator_returns as returns "
        "on flags.source_file_path = returns.file_path "
        "and flags.source_row_number = returns.row_number and flags.ref = returns.ref "
        "where list_contains(?, flags.check_name)",
        params=[list(PRINTED_FIGURE_CHECKS)],
    ).fetchall()
    assert findings
    assert [f for f in findings if f[1] != f[3]] == []


def test_the_2021_22_q2_variance_of_cyp_02_sends_the_lead_to_the_q2_return(
    sample_warehouse,
) -> None:
    # The Q2 return prints 1.52%; its own value 67 against its own target 73 gives -8.22%.
    # The Q4 return, which prints 2.94% on its own row 3, is not accused of it.
    assert sample_warehouse.sql(
        "select observed, expected, source_file_path, source_row_number from quality.dq_flags "
        "where check_name = 'reported_variance_mismatch' and reporting_period = '2021-22 Q2' "
        "and ref = 'CYP-02'"
    ).fetchall() == [("1.52%", "-8.22%", "st-helens/2021-22/Q2/priority-1.csv", 3)]
