-- Every period an indicator has a row for (each period any return reports, and
-- each return's reporting period even where its cells are blank), with the
-- value as at that period.
-- grain: authority, ref, period_key
-- incremental by: financial_year_start
--
-- The value as at a period is the latest value reported for the financial year
-- up to and including that period: a lagged indicator whose Q2 cell says 'To be
-- reported in Q3' stands at Q2 on its Q1 value. Months sort before the quarter
-- that ends with them, so a quarter sees its last month's value.

with reporting_periods as (

    select
        authority,
        ref,
        reporting_period as period_key,
        'quarter' as period_type,
        financial_year_start,
        rules.quarter_end_month(reporting_quarter) as fiscal_month,
        reporting_period_end as period_end

    from intermediate.int_return_indicators

),

periods as (

    select authority, ref, period_key, period_type, financial_year_start, fiscal_month, period_end
    from intermediate.int_indicator_observations

    union

    select * from reporting_periods

),

period_values as (

    select
        periods.*,
        observations.value,
        observations.note,
        observations.source_cell,
        observations.source_reporting_period,
        observations.source_file_path,
        observations.source_file_hash,
        observations.source_sheet,
        observations.source_row_number,
        observations.source_loaded_at

    from periods
    left join intermediate.int_indicator_observations as observations
        using (authority, ref, period_key)

)

select
    *,
    last_value(value ignore nulls) over year_to_date as value_as_at,
    last_value(case when value is not null then period_key end ignore nulls)
        over year_to_date as value_as_at_period_key,
    last_value(case when value is not null then fiscal_month end ignore nulls)
        over year_to_date as value_as_at_fiscal_month

from period_values
window year_to_date as (
    partition by authority, ref, financial_year_start
    order by period_end, period_type = 'quarter'
    rows between unbounded preceding and current row
)
-- Laid down year by year. A run rebuilds the years from one before its earliest
-- changed return to the latest (tables.py): the last years of the table, so its
-- delete reaches only the last row groups and its insert follows them, and DuckDB's
-- checkpoint rewrites those, not every row group. The fact table, as DuckDB now
-- plans it, comes out in this table's order (nothing guarantees it).
order by financial_year_start
