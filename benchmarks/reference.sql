-- The bare reference: the pipeline's core work done in one DuckDB script, with
-- nothing around it (no Dagster, no gate, no lineage, no checks, no reports).
-- It reads every return in one multi-file scan, parses the typed cells,
-- unpivots the quarters, applies the rules (value as at the period, the
-- period's target, variance, status, trend against a year earlier, quartile)
-- and builds the fact table and the three summary marts.
-- The benchmark runs it against the same files as the pipeline, with
-- {returns_glob} replaced by the folder's glob; it is never used to build the
-- warehouse.
SET preserve_insertion_order = false;

CREATE TABLE raw_returns AS
SELECT *
FROM read_csv(
    '{returns_glob}',
    all_varchar = true, header = true, union_by_name = true, filename = true,
    ignore_errors = true
);

CREATE TABLE returns AS
WITH typed AS (
    SELECT
        filename,
        authority,
        reporting_period,
        try_cast(priority AS INTEGER) AS priority,
        upper(trim(ref)) AS ref,
        polarity,
        lower(coalesce(measure_type, '')) = 'cumulative' AS cumulative,
        try_cast(regexp_replace(target, '[,%\s]', '', 'g') AS DOUBLE) AS annual_target,
        [
            try_cast(regexp_replace(q1, '[,%\s]', '', 'g') AS DOUBLE),
            try_cast(regexp_replace(q2, '[,%\s]', '', 'g') AS DOUBLE),
            try_cast(regexp_replace(q3, '[,%\s]', '', 'g') AS DOUBLE),
            try_cast(regexp_replace(q4, '[,%\s]', '', 'g') AS DOUBLE)
        ] AS quarter_values,
        try_cast(regexp_extract(comparative_quartile, '^([1-4])', 1) AS INTEGER) AS quartile,
        2000 + try_cast(substr(reporting_period, 3, 2) AS INTEGER) AS return_year,
        try_cast(right(reporting_period, 1) AS INTEGER) AS return_quarter
    FROM raw_returns
)
SELECT * FROM typed WHERE ref IS NOT NULL AND priority IS NOT NULL;

CREATE TABLE fct AS
WITH cells AS (
    SELECT
        authority, priority, ref, polarity, cumulative, annual_target, quartile,
        return_year, return_quarter, quarter AS period_quarter,
        quarter_values[quarter] AS value
    FROM returns, range(1, 5) AS quarters(quarter)
    WHERE quarter <= return_quarter
),

-- The latest return's figure for each period: later returns revise earlier ones.
as_at AS (
    SELECT *
    FROM cells
    QUALIFY row_number() OVER (
        PARTITION BY authority, ref, return_year, period_quarter ORDER BY return_quarter DESC
    ) = 1
),

judged AS (
    SELECT
        *,
        CASE WHEN cumulative THEN annual_target * period_quarter / 4 ELSE annual_target END
            AS period_target
    FROM as_at
),

with_variance AS (
    SELECT
        *,
        CASE
            WHEN value IS NULL OR period_target IS NULL OR period_target = 0 THEN NULL
            WHEN polarity = 'Higher' THEN (value - period_target) * 100 / abs(period_target)
            ELSE (period_target - value) * 100 / abs(period_target)
        END AS variance_pct
    FROM judged
)

SELECT
    now.*,
    CASE
        WHEN now.variance_pct IS NULL THEN NULL
        WHEN now.variance_pct >= 0 THEN 'met'
        WHEN now.variance_pct >= -5 THEN 'within'
        ELSE 'not met'
    END AS status,
    CASE
        WHEN now.value IS NULL OR before.value IS NULL THEN NULL
        WHEN now.value = before.value THEN 'same'
        WHEN (now.value > before.value) = (now.polarity = 'Higher') THEN 'improved'
        ELSE 'worse'
    END AS trend
FROM with_variance AS now
LEFT JOIN with_variance AS before
    ON before.authority = now.authority
    AND before.ref = now.ref
    AND before.return_year = now.return_year - 1
    AND before.period_quarter = now.period_quarter;

CREATE TABLE mart_performance AS
SELECT
    authority, return_year, period_quarter, coalesce(priority::VARCHAR, 'Total') AS priority,
    count(*) FILTER (WHERE status = 'met') AS met,
    count(*) FILTER (WHERE status = 'within') AS within,
    count(*) FILTER (WHERE status = 'not met') AS not_met
FROM fct
GROUP BY GROUPING SETS ((authority, return_year, period_quarter, priority),
                        (authority, return_year, period_quarter));

CREATE TABLE mart_trend AS
SELECT
    authority, return_year, period_quarter, coalesce(priority::VARCHAR, 'Total') AS priority,
    count(*) FILTER (WHERE trend = 'improved') AS improved,
    count(*) FILTER (WHERE trend = 'worse') AS worse,
    count(*) FILTER (WHERE trend = 'same') AS same
FROM fct
GROUP BY GROUPING SETS ((authority, return_year, period_quarter, priority),
                        (authority, return_year, period_quarter));

CREATE TABLE mart_quartiles AS
SELECT
    authority, return_year, period_quarter, coalesce(priority::VARCHAR, 'Total') AS priority,
    count(*) FILTER (WHERE quartile = 1) AS top,
    count(*) FILTER (WHERE quartile = 2) AS second,
    count(*) FILTER (WHERE quartile = 3) AS third,
    count(*) FILTER (WHERE quartile = 4) AS bottom
FROM fct
GROUP BY GROUPING SETS ((authority, return_year, period_quarter, priority),
                        (authority, return_year, period_quarter));
