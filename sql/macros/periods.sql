-- Financial periods. The financial year runs April to March: fiscal month 1 is
-- April, 12 is March; quarter N ends at fiscal month 3N. A year is known by the
-- calendar year it starts in (2024 for 2024-25).

CREATE SCHEMA IF NOT EXISTS rules;

-- 2024 -> '2024-25'
CREATE OR REPLACE MACRO rules.financial_year_label(start_year) AS
    printf('%d-%02d', start_year, (start_year + 1) % 100);

-- 2024, 2 -> '2024-25 Q2': the key of a quarter, and of a return's reporting period.
CREATE OR REPLACE MACRO rules.quarter_period_key(start_year, quarter) AS
    rules.financial_year_label(start_year) || ' Q' || quarter;

-- The last day of a fiscal month: 2024, 6 -> 2024-09-30.
CREATE OR REPLACE MACRO rules.fiscal_month_end(start_year, fiscal_month) AS
    last_day(make_date(
        CAST(start_year + (fiscal_month + 2) // 12 AS INTEGER),
        CAST((fiscal_month + 2) % 12 + 1 AS INTEGER),
        1
    ));

-- The key of any period: a quarter's '2024-25 Q2', a month's ISO '2024-09'.
CREATE OR REPLACE MACRO rules.period_key(period_type, start_year, fiscal_month) AS
    CASE period_type
        WHEN 'quarter' THEN rules.quarter_period_key(start_year, fiscal_month // 3)
        WHEN 'month' THEN strftime(rules.fiscal_month_end(start_year, fiscal_month), '%Y-%m')
    END;
