-- The financial periods the fact table holds: quarters ('2024-25 Q2') and
-- months ('2024-09'), with the financial year, quarter and dates they cover.
-- grain: period_key

select distinct
    period_key,
    period_type,
    rules.financial_year_label(financial_year_start) as financial_year,
    financial_year_start,
    (fiscal_month + 2) // 3 as fiscal_quarter,
    case when period_type = 'month' then fiscal_month end as fiscal_month,
    case period_type
        when 'quarter' then rules.fiscal_month_end(financial_year_start, fiscal_month - 3) + 1
        else rules.fiscal_month_end(financial_year_start, fiscal_month - 1) + 1
    end as period_start,
    period_end

from marts.fct_indicator_observations
