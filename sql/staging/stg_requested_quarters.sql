-- The financial quarters runs have been asked to build, whether or not any
-- return as at them has arrived: the register expects returns up to the
-- latest of them.
-- grain: financial_year_start, reporting_quarter

select distinct
    financial_year_start,
    reporting_quarter,
    rules.quarter_period_key(financial_year_start, reporting_quarter) as reporting_period

from raw.requested_quarters
