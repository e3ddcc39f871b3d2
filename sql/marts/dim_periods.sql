-- The financial periods the fact table holds: quarters ('2024-25 Q2') and
-- months ('2024-09'), with the financial year, quarter and dates they cover.
-- grain: period_key

with periods as (

    -- Each period once before its columns are made: the fact table has a row per
    -- authority and indicator for each.
    select distinct period_key, period_type, financial_year_start, fiscal_month, period_end
    from marts.fct_indicator_observations

)

select
    period_key,  -- The period: a quarter ('2024-25 Q2') or a month ('2024-09').
    period_type,  -- 'quarter' or 'month'.
    rules.financial_year_label(financial_year_start) as financial_year,  -- The financial year (April to March) the period falls in, e.g. '2024-25'.
    financial_year_start,  -- The calendar year the financial year starts in: 2024 for 2024-25.
    rules.quarter_containing_month(fiscal_month) as fiscal_quarter,  -- The quarter of the financial year: 1 (April to June) to 4 (January to March).
    case when period_type = 'month' then fiscal_month end as fiscal_month,  -- For a month, its month of the financial year (1 is April); NULL for a quarter.
    case period_type
        when 'quarter' then rules.fiscal_month_end(financial_year_start, fiscal_month - 3) + 1
        else rules.fiscal_month_end(financial_year_start, fiscal_month - 1) + 1
    end as period_start,  -- The first day of the period.
    period_end  -- The last day of the period.

from periods
