-- The bare reference's work after reading (benchmarks/reference.py reads every
-- return into raw_returns, each cell as text): the cells parsed with vectorised
-- expressions, the fact table of the returns' indicators judged by the rule
-- macros of sql/macros/, and the three summary marts. The same reading of a
-- period's value as the pipeline: the later return wins, a number beats a note,
-- last year's outturn stands for last year's Q4, and a period without a value is
-- judged on the year's latest value before it. Never used to build the warehouse.

-- A number as typed: `1,412,857`, `94.19%`, `-6.25`; anything else is no number.
CREATE MACRO typed_number(cell) AS (
    WITH t AS (SELECT regexp_replace(regexp_replace(trim(cell), '\s+', '', 'g'), '^[−–—]', '-') AS text)
    SELECT CASE
        WHEN regexp_full_match(text, '[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?%?')
            AND regexp_matches(text, '[0-9]')
            THEN CAST(rtrim(replace(text, ',', ''), '%') AS DOUBLE)
    END
    FROM t
);

CREATE TABLE returns AS
WITH parsed AS (
    SELECT
        trim(authority) AS authority,
        CAST(regexp_extract(reporting_period, '(\d{4})\s*[-/–]\s*\d{2,4}', 1) AS INTEGER)
            AS financial_year_start,
        CAST(regexp_extract(lower(reporting_period), '(?:^|[^a-z])q(?:uarter|tr)?\s*([1-4])', 1)
            AS INTEGER) AS reporting_quarter,
        CAST(regexp_extract(priority, '^(?i:priority|p)?\s*(\d{1,2})', 1) AS INTEGER)
            AS priority_number,
        upper(trim(ref)) AS ref,
        CASE lower(regexp_extract(trim(polarity), '^(?i:(higher|lower))', 1))
            WHEN 'higher' THEN 'Higher' WHEN 'lower' THEN 'Lower' END AS polarity,
        coalesce(nullif(lower(trim(measure_type)), ''), 'snapshot') AS measure_type,
        nullif(trim(target), '') AS target_text,
        typed_number(target) AS annual_target,
        typed_number(previous_outturn) AS previous_outturn,
        nullif(trim(previous_outturn), '') IS NOT NULL AS previous_outturn_typed,
        [typed_number(q1), typed_number(q2), typed_number(q3), typed_number(q4)] AS quarter_values,
        [nullif(trim(q1), '') IS NOT NULL, nullif(trim(q2), '') IS NOT NULL,
         nullif(trim(q3), '') IS NOT NULL, nullif(trim(q4), '') IS NOT NULL] AS quarter_typed,
        CASE trim(reported_trend)
            WHEN '↑' THEN 'improved' WHEN '↓' THEN 'worse' WHEN '↔' THEN 'same'
        END AS reported_trend,
        CAST(regexp_extract(lower(trim(comparative_quartile)),
                            '^([1-4])\s*(?:st|nd|rd|th)?\s*(?:quartile\b|$)', 1) AS INTEGER)
            AS reported_quartile
    FROM raw_returns
)
-- The gate's one rejection these returns can earn: a target that is not a number.
SELECT
    *,
    dense_rank() OVER (
        PARTITION BY authority ORDER BY financial_year_start, reporting_quarter
    ) AS return_order
FROM parsed
WHERE target_text IS NULL OR annual_target IS NOT NULL;

CREATE TABLE fct AS
WITH cells AS (
    SELECT
        authority, ref, financial_year_start, quarter * 3 AS fiscal_month,
        quarter_values[quarter] AS value, return_order, 1 AS precedence
    FROM returns, range(1, 5) AS quarters(quarter)
    WHERE quarter_typed[quarter]
    UNION ALL
    SELECT authority, ref, financial_year_start - 1, 12, previous_outturn, return_order, 1
    FROM returns
    WHERE previous_outturn_typed
),

period_values AS (
    SELECT authority, ref, financial_year_start, fiscal_month, value
    FROM cells
    QUALIFY row_number() OVER (
        PARTITION BY authority, ref, financial_year_start, fiscal_month
        ORDER BY value IS NOT NULL DESC, return_order DESC, precedence
    ) = 1
),

periods AS (
    SELECT authority, ref, financial_year_start, fiscal_month FROM period_values
    UNION
    SELECT authority, ref, financial_year_start, reporting_quarter * 3 FROM returns
),

as_at AS (
    SELECT
        periods.*,
        last_value(value IGNORE NULLS) OVER year_to_date AS value_as_at,
        last_value(CASE WHEN value IS NOT NULL THEN periods.fiscal_month END IGNORE NULLS)
            OVER year_to_date AS value_as_at_fiscal_month
    FROM periods
    LEFT JOIN period_values USING (authority, ref, financial_year_start, fiscal_month)
    WINDOW year_to_date AS (
        PARTITION BY authority, ref, financial_year_start ORDER BY fiscal_month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

-- The returns' indicators: the latest return as at each period gives its row.
return_indicators AS (
    SELECT *
    FROM returns
    QUALIFY row_number() OVER (
        PARTITION BY authority, financial_year_start, reporting_quarter, ref
        ORDER BY return_order DESC
    ) = 1
),

judged AS (
    SELECT
        r.authority,
        rules.quarter_period_key(r.financial_year_start, r.reporting_quarter) AS reporting_period,
        r.priority_number,
        r.ref,
        now.value_as_at,
        rules.period_target(
            r.annual_target, [NULL, NULL, NULL, NULL]::DOUBLE[], r.measure_type,
            coalesce(now.value_as_at_fiscal_month, now.fiscal_month)
        ) AS period_target,
        r.polarity,
        year_earlier.value_as_at AS value_year_earlier,
        r.reported_trend,
        r.reported_quartile
    FROM return_indicators AS r
    JOIN as_at AS now
        ON now.authority = r.authority AND now.ref = r.ref
        AND now.financial_year_start = r.financial_year_start
        AND now.fiscal_month = r.reporting_quarter * 3
    LEFT JOIN as_at AS year_earlier
        ON year_earlier.authority = r.authority AND year_earlier.ref = r.ref
        AND year_earlier.financial_year_start = r.financial_year_start - 1
        AND year_earlier.fiscal_month = coalesce(now.value_as_at_fiscal_month, now.fiscal_month)
)

SELECT
    authority, reporting_period, priority_number, ref, value_as_at,
    rules.performance_status(value_as_at, period_target, polarity) AS performance_status,
    rules.trend_with_basis(
        value_as_at, value_year_earlier, NULL, reported_trend, polarity
    ).trend AS trend,
    reported_quartile AS quartile
FROM judged;

CREATE TABLE mart_priority_performance AS
SELECT
    authority, reporting_period, priority_number AS priority,
    count(performance_status) AS n_with_data,
    count(*) FILTER (WHERE performance_status = 'met') AS n_met,
    count(*) FILTER (WHERE performance_status = 'within') AS n_within,
    count(*) FILTER (WHERE performance_status = 'not met') AS n_not_met,
    count(*) FILTER (WHERE value_as_at IS NULL) AS n_data_gaps
FROM fct
GROUP BY GROUPING SETS ((authority, reporting_period, priority_number),
                        (authority, reporting_period));

CREATE TABLE mart_priority_trend AS
SELECT
    authority, reporting_period, priority_number AS priority,
    count(trend) AS n_with_data,
    count(*) FILTER (WHERE trend = 'improved') AS n_improved,
    count(*) FILTER (WHERE trend = 'worse') AS n_worse,
    count(*) FILTER (WHERE trend = 'same') AS n_same
FROM fct
GROUP BY GROUPING SETS ((authority, reporting_period, priority_number),
                        (authority, reporting_period));

CREATE TABLE mart_quartile_distribution AS
SELECT
    authority, reporting_period, priority_number AS priority,
    count(quartile) AS n_with_data,
    count(*) FILTER (WHERE quartile = 1) AS n_q1,
    count(*) FILTER (WHERE quartile = 2) AS n_q2,
    count(*) FILTER (WHERE quartile = 3) AS n_q3,
    count(*) FILTER (WHERE quartile = 4) AS n_q4
FROM fct
GROUP BY GROUPING SETS ((authority, reporting_period, priority_number),
                        (authority, reporting_period));
