-- One ref described differently by two returns of the same authority: another
-- polarity, or another title (compared by letters and digits only, so a
-- dash or a space is not a change). Flagged on the later return.
-- grain: authority, reporting_period, ref, check_name

with described as (

    select
        *,
        lag(polarity) over over_time as previous_polarity,
        lag(indicator) over over_time as previous_indicator,
        lag(reporting_period) over over_time as previous_reporting_period

    from staging.stg_indicator_returns
    window over_time as (
        partition by authority, ref
        order by return_order
    )

),

changes as (

    select
        *,
        case
            when polarity <> previous_polarity then 'polarity'
            when regexp_replace(lower(indicator), '[^a-z0-9]', '', 'g')
                <> regexp_replace(lower(previous_indicator), '[^a-z0-9]', '', 'g') then 'title'
        end as what_changed

    from described
    where previous_reporting_period is not null

)

select
    authority,
    reporting_period,
    priority_number,
    ref,
    null as period_key,
    'inconsistent_' || what_changed as check_name,
    'WARN' as severity,
    format(
        '{} has another {} in the {} return than in the {} return.',
        ref, what_changed, reporting_period, previous_reporting_period
    ) as message,
    case what_changed when 'polarity' then polarity else indicator end as observed,
    case what_changed when 'polarity' then previous_polarity else previous_indicator end
        as expected,
    file_path as source_file_path,
    row_number as source_row_number

from changes
where what_changed is not null
