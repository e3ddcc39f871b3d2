-- One ref described differently by two returns of the same authority: another
-- polarity, another measure type, or another title (compared by letters and
-- digits only, so a dash or a space is not a change). Each change is its own
-- finding, on the later return. A period is judged on its own return's polarity
-- and measure type, so a change within a year means the periods before and
-- after it are judged differently: the service should say which is right.

with described as (

    -- Only the columns the check reads: a window sorts every column it is given.
    select
        authority,
        reporting_period,
        priority_number,
        ref,
        file_path,
        row_number,
        polarity,
        measure_type,
        indicator,
        lag(polarity) over over_time as previous_polarity,
        lag(measure_type) over over_time as previous_measure_type,
        lag(indicator) over over_time as previous_indicator,
        lag(reporting_period) over over_time as previous_reporting_period,
        lag(file_path) over over_time as previous_file_path

    from staging.stg_indicator_returns
    window over_time as (
        partition by authority, ref
        order by return_order
    )

),

attributes as (

    unpivot (
        select
            authority, reporting_period, priority_number, ref, file_path, row_number,
            previous_reporting_period, previous_file_path,
            {'now': polarity, 'before': previous_polarity, 'changed': polarity <> previous_polarity}
                as polarity,
            {
                'now': measure_type,
                'before': previous_measure_type,
                'changed': coalesce(measure_type, 'snapshot')
                    <> coalesce(previous_measure_type, 'snapshot')
            } as measure_type,
            {
                'now': indicator,
                'before': previous_indicator,
                -- Titles typed alike need no closer look.
                'changed': case when indicator = previous_indicator then false else
                    regexp_replace(lower(indicator), '[^a-z0-9]', '', 'g')
                    <> regexp_replace(lower(previous_indicator), '[^a-z0-9]', '', 'g') end
            } as title
        from described
        where previous_reporting_period is not null
    )
    on polarity, measure_type, title
    into name what_changed value description

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
        '{} has another {} in the {} return ({}) than in the {} return ({}).',
        ref, replace(what_changed, '_', ' '), reporting_period, file_path,
        previous_reporting_period, previous_file_path
    ) as message,
    coalesce(description.now, 'blank') as observed,
    coalesce(description.before, 'blank') as expected,
    file_path as source_file_path,
    row_number as source_row_number

from attributes
where description.changed
