-- The one value (or note) that stands for each indicator and period, chosen
-- from every return that reports that period.
-- grain: authority, ref, period_key
-- incremental by: financial_year_start
--
-- Where two returns give the same period, the later return wins (the
-- return_order of staging), as a revised figure should; a number
-- beats a note, so a later return that leaves a period blank or writes
-- 'N/A' over it does not erase a value already reported (cell_standing of
-- int_indicator_cells). This is the latest revision of every value: what the
-- restated judgement rests on.

with ranked as (

    select
        *,
        -- A period lies in one financial year: naming the year too lets a run that
        -- rebuilds some years read only their cells.
        row_number() over (
            partition by authority, ref, financial_year_start, period_key
            order by cell_standing desc
        ) as candidate_rank

    from intermediate.int_indicator_cells

)

select
    authority,
    ref,
    period_key,
    period_type,
    financial_year_start,
    fiscal_month,
    period_end,
    value,
    note,
    cell as source_cell,
    source_reporting_period,
    file_path as source_file_path,
    file_hash as source_file_hash,
    sheet as source_sheet,
    row_number as source_row_number,
    loaded_at as source_loaded_at

from ranked
where candidate_rank = 1
