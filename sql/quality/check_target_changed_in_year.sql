-- An annual target that differs between two returns of the same financial
-- year: flagged on the later return.

with targets as (

    select
        *,
        lag(annual_target) over year_so_far as previous_target,
        lag(reporting_period) over year_so_far as previous_reporting_period

    from staging.stg_indicator_returns
    window year_so_far as (
        partition by authority, ref, financial_year_start
        order by return_order
    )

)

select
    authority,
    reporting_period,
    priority_number,
    ref,
    null as period_key,
    'target_changed_in_year' as check_name,
    'WARN' as severity,
    format(
        '{}''s annual target is {} in the {} return but was {} in the {} return.',
        ref, coalesce(cast(annual_target as varchar), 'blank'), reporting_period,
        coalesce(cast(previous_target as varchar), 'blank'), previous_reporting_period
    ) as message,
    coalesce(cast(annual_target as varchar), 'blank') as observed,
    coalesce(cast(previous_target as varchar), 'blank') as expected,
    file_path as source_file_path,
    row_number as source_row_number

from targets
where previous_reporting_period is not null
    and previous_reporting_period <> reporting_period
    and annual_target is distinct from previous_target
