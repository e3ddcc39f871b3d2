-- The strategy priorities of each authority: the number that joins, the latest
-- name a return gave it (returns may give only the number), and how many
-- indicators have reported under it.
-- grain: authority, priority_number

select
    authority,
    priority_number,
    arg_max(priority_name, financial_year_start) filter (where priority_name is not null)
        as priority_name,
    count(distinct ref) as n_indicators

from intermediate.int_indicator_years
group by authority, priority_number
