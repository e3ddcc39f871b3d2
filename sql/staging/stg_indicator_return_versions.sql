-- One row per current indicator return: each authority's return for a reporting
-- period in one file (staging.stg_current_return_files), the file's version, and
-- return_order, which ranks an authority's returns from earliest to latest, once,
-- for every model that must know which return is later.
-- grain: authority, reporting_period, file_path
--
-- How return_order ranks: the later reporting period is the later return; within one
-- period, the later file by stg_current_return_files' file_order, which decides for
-- every kind of return which of two files is the later.
--
-- The models built incrementally (`-- incremental by:`) are rebuilt for the files,
-- periods and financial years whose rows here changed since they were built
-- (sql_models/tables.py): file_judged_at is here for them, as a file's rows are judged
-- again, and can read otherwise, when the gate's rules change.

with current_files as (

    select file_path, file_hash, file_loaded_at, file_order
    from staging.stg_current_return_files

),

returns as (

    -- The returns are read here on their own, not from a CTE another select reads
    -- too: DuckDB would hold such a CTE, every column of every row, in memory.
    select distinct
        authority, financial_year_start, reporting_quarter, file_path, file_hash,
        current_files.file_loaded_at, current_files.file_order
    from validated.indicator_returns
    inner join current_files using (file_path, file_hash)

)

select
    returns.authority,
    -- The period's key and last day, made once per return, not once per row.
    rules.quarter_period_key(returns.financial_year_start, returns.reporting_quarter)
        as reporting_period,
    returns.financial_year_start,
    returns.reporting_quarter,
    rules.fiscal_month_end(
        returns.financial_year_start, rules.quarter_end_month(returns.reporting_quarter)
    ) as reporting_period_end,
    returns.file_path,
    returns.file_hash,
    returns.file_loaded_at,
    judged.judged_at as file_judged_at,
    -- Ranked once per return, not once per row: a window sorts every row it is given.
    dense_rank() over (
        partition by returns.authority
        order by
            returns.financial_year_start, returns.reporting_quarter, returns.file_order
    ) as return_order

from returns
inner join validated.judged_files as judged using (file_path, file_hash)
