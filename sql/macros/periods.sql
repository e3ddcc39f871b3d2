-- Financial periods. The financial year runs April to March: fiscal month 1 is
-- April, 12 is March; quarter N ends at fiscal month 3N. A year is known by the
-- calendar year it starts in (2024 for 2024-25).

create schema if not exists rules;

-- 2024 -> '2024-25'. Concatenated, not printf: a key is made for millions of rows, and
-- printf took twice as long.
create or replace macro rules.financial_year_label(start_year) as
    cast(start_year as varchar) || '-' || lpad(cast((start_year + 1) % 100 as varchar), 2, '0');

-- 2024, 2 -> '2024-25 Q2': the key of a quarter, and of a return's reporting period.
create or replace macro rules.quarter_period_key(start_year, quarter) as
    rules.financial_year_label(start_year) || ' Q' || quarter;

-- 2024, 2 -> 8097: the ordinal of a quarter, one more for each quarter later, across
-- years too, so quarters are counted and stepped through as integers. Python's
-- Quarter.index (pipelines/quarters.py) is the same formula.
create or replace macro rules.quarter_index(start_year, quarter) as
    start_year * 4 + quarter - 1;

-- The financial year's start and the quarter of an ordinal: 8097 -> 2024 and 2.
create or replace macro rules.quarter_index_start_year(ordinal) as
    ordinal // 4;

create or replace macro rules.quarter_index_number(ordinal) as
    ordinal % 4 + 1;

-- A quarter and the fiscal months: quarter 2 ends at month 6 and holds months 4 to 6.
create or replace macro rules.quarter_end_month(quarter) as
    quarter * 3;

-- The quarter a fiscal month ends (6 -> 2), NULL for a month inside a quarter (5): a
-- value as at month 5 has no quarter of its own to be compared or profiled by.
create or replace macro rules.quarter_of_month(fiscal_month) as
    case when fiscal_month % 3 = 0 then fiscal_month // 3 end;

-- The quarter a fiscal month falls in: 4, 5 and 6 -> 2.
create or replace macro rules.quarter_containing_month(fiscal_month) as
    (fiscal_month + 2) // 3;

-- The key of the quarter a year before the one fiscal_month ends: 2024, 6 -> '2023-24 Q2';
-- NULL for a month inside a quarter, so it matches no quarter.
create or replace macro rules.year_earlier_quarter_key(start_year, fiscal_month) as
    rules.quarter_period_key(start_year - 1, rules.quarter_of_month(fiscal_month));

-- The last day of a fiscal month: 2024, 6 -> 2024-09-30.
create or replace macro rules.fiscal_month_end(start_year, fiscal_month) as
    last_day(make_date(
        cast(start_year + (fiscal_month + 2) // 12 as integer),
        cast((fiscal_month + 2) % 12 + 1 as integer),
        1
    ));

-- The key of any period: a quarter's '2024-25 Q2', a month's ISO '2024-09'.
create or replace macro rules.period_key(period_type, start_year, fiscal_month) as
    case period_type
        when 'quarter'
            then rules.quarter_period_key(start_year, rules.quarter_of_month(fiscal_month))
        when 'month' then strftime(rules.fiscal_month_end(start_year, fiscal_month), '%Y-%m')
    end;
