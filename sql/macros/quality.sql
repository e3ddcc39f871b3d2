-- The judgements the data-quality checks (sql/quality/) rest on, each in one place.

create schema if not exists rules;

-- A measure in per cent, by its title: 'Percentage of ...', '% of ...', 'proportion'.
create or replace macro rules.is_percentage_measure(indicator) as
    regexp_matches(indicator, '(?i)percent|%|proportion');

-- A count of things, which cannot be negative: 'Number of ...' that is not a share.
create or replace macro rules.is_count_measure(indicator) as
    regexp_matches(indicator, '(?i)^\s*(the\s+)?number\s+of\b')
    and not rules.is_percentage_measure(indicator);

-- Whether a value is due at a quarter, by the indicator's frequency:
-- 'Annual' at Q4 only; 'Quarterly from Q2' (or Q3) from that quarter on;
-- anything else (Quarterly, Monthly, blank) every quarter. A lagged indicator
-- is still due: its cell should say when the figure will come.
create or replace macro rules.is_due(frequency, quarter) as
    case
        when regexp_matches(coalesce(frequency, ''), '(?i)annual') then quarter = 4
        when regexp_matches(coalesce(frequency, ''), '(?i)from\s+q([1-4])')
            then quarter >= cast(regexp_extract(frequency, '(?i)from\s+q([1-4])', 1) as integer)
        else true
    end;

-- A value is an outlier against its own history when its modified z-score
-- (Iglewicz and Hoaglin: 0.6745 * |x - median| / MAD) exceeds 3.5. Median and
-- MAD are robust: one earlier mistake does not hide the next. Below
-- outlier_min_history earlier values a median says little, so the check does
-- not judge; above it, a history that never varied (MAD 0) is judged by its
-- mean absolute deviation instead (scaled by 0.7979, Iglewicz and Hoaglin's
-- substitute), and one with no spread at all is not judged.
create or replace macro rules.outlier_threshold() as 3.5;
create or replace macro rules.outlier_min_history() as 4;
create or replace macro rules.modified_z_score(
    value, history_median, history_mad, history_mean_abs_dev
) as
    case
        when history_mad > 0 then 0.6745 * abs(value - history_median) / history_mad
        when history_mean_abs_dev > 0
            then 0.7979 * abs(value - history_median) / history_mean_abs_dev
    end;

-- A printed variance this many percentage points from the computed one is a
-- slip, not rounding: reports print two decimals, and a lagged or profiled
-- target explains nothing wider.
create or replace macro rules.variance_tolerance() as 0.5;
