-- One ref in two current returns as at the same period (two services' files
-- both reporting it, or a corrected copy saved under a new name beside the
-- old one). The pipeline uses the later return; a person should remove the
-- other or say which is right.

with refs_in_two_returns as (

    -- Found first, so that only their rows are described: most refs are in one.
    select authority, reporting_period, ref
    from staging.stg_indicator_returns
    group by authority, reporting_period, ref
    having count(*) > 1

),

copies as (

    select
        authority,
        reporting_period,
        ref,
        arg_max(priority_number, return_order) as priority_number,
        count(*) as n_returns,
        string_agg(file_path || ' row ' || row_number, ', ' order by return_order) as rows_found,
        arg_max(file_path, return_order) as file_used,
        arg_max(row_number, return_order) as row_used

    from staging.stg_indicator_returns
    inner join refs_in_two_returns using (authority, reporting_period, ref)
    group by authority, reporting_period, ref

)

select
    authority,
    reporting_period,
    priority_number,
    ref,
    null as period_key,
    'ref_in_two_returns' as check_name,
    'WARN' as severity,
    format(
        '{} is in {} returns for {} ({}); the figures of {} are used.',
        ref, n_returns, reporting_period, rows_found, file_used
    ) as message,
    rows_found as observed,
    'one return per indicator and period' as expected,
    file_used as source_file_path,
    row_used as source_row_number

from copies
