-- The strategy priorities of each authority: the number that joins and the
-- latest name a return gave it (returns may give only the number).
-- grain: authority, priority_number

select
    authority,
    priority_number,
    arg_max(priority_name, reporting_period_end) filter (where priority_name is not null)
        as priority_name,
    count(distinct ref) as n_indicators

from staging.stg_indicator_returns
group by authority, priority_number
