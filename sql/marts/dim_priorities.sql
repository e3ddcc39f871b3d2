-- The strategy priorities of each authority: the number that joins, the latest
-- name a return gave it (returns may give only the number), and how many
-- indicators have reported under it.
-- grain: authority, priority_number

select
    authority,  -- The reporting council, as its returns name it.
    priority_number,  -- The strategy priority's number (1 to 6), which joins to the fact table.
    -- By return_order, not by year: two returns of one year may name it differently.
    arg_max(priority_name, attributes_from_return_order) filter (where priority_name is not null)
        as priority_name,  -- The priority's name, from the latest return that gave one.
    count(distinct ref) as n_indicators  -- How many indicators have reported under the priority.

from intermediate.int_indicator_years
group by authority, priority_number
