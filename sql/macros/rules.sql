-- The rules the published performance reports use, each in exactly one place.
-- The SQL models call these; the Python never re-implements them.
-- Spec: ../shared/return-template.md, "The rules the published reports use".

CREATE SCHEMA IF NOT EXISTS rules;

-- The target a value is judged against, for the period the value is for:
-- the profiled target of that quarter where the return sets one (a value at the
-- end of a quarter only); otherwise, for a cumulative (year-to-date) measure,
-- the annual target pro rata to the months elapsed (Q2 = 6/12); otherwise the
-- annual target as it stands. profiled_targets is [target_q1, .., target_q4].
-- period_target_basis names which of the three it is, for a reader: 'profiled',
-- 'pro rata' or 'annual'.
CREATE OR REPLACE MACRO rules.period_target_basis(profiled_targets, measure_type, fiscal_month) AS
    CASE
        WHEN fiscal_month % 3 = 0 AND profiled_targets[fiscal_month // 3] IS NOT NULL
            THEN 'profiled'
        WHEN measure_type = 'cumulative' THEN 'pro rata'
        ELSE 'annual'
    END;

CREATE OR REPLACE MACRO rules.period_target(annual_target, profiled_targets, measure_type, fiscal_month) AS
    CASE rules.period_target_basis(profiled_targets, measure_type, fiscal_month)
        WHEN 'profiled' THEN profiled_targets[fiscal_month // 3]
        WHEN 'pro rata' THEN annual_target * fiscal_month / 12
        ELSE annual_target
    END;

-- Variance from target, in per cent, signed so that positive is better:
-- (value - target) / target * 100 where higher is better, the reverse where
-- lower is better. A zero target has no per cent variance. Dividing by the
-- target's size keeps the sign meaning 'better' for a negative target too
-- (a net change aiming at -10); for the usual positive target it is the
-- published formula exactly.
-- Multiplying before dividing keeps round cases exact (95 vs 100 is -5, not -5.000000000000001).
CREATE OR REPLACE MACRO rules.variance_pct(value, target, polarity) AS
    CASE
        WHEN value IS NULL OR target IS NULL OR target = 0 THEN NULL
        WHEN polarity = 'Higher' THEN (value - target) * 100 / abs(target)
        WHEN polarity = 'Lower' THEN (target - value) * 100 / abs(target)
    END;

-- Performance against target: variance >= 0 'met' (green), -5 <= variance < 0
-- 'within' 95% of target (amber), below -5 'not met' (red). No value or no
-- target: no status. A zero target has no 5% band: a value on the right side
-- of zero (or at it) meets it, any other does not.
CREATE OR REPLACE MACRO rules.performance_status(value, target, polarity) AS
    CASE
        WHEN value IS NULL OR target IS NULL THEN NULL
        WHEN target = 0 THEN
            CASE
                WHEN (polarity = 'Higher' AND value >= 0) OR (polarity = 'Lower' AND value <= 0)
                    THEN 'met'
                ELSE 'not met'
            END
        -- Rounded to 9 places only to drop binary noise at the band edges.
        WHEN round(rules.variance_pct(value, target, polarity), 9) >= 0 THEN 'met'
        WHEN round(rules.variance_pct(value, target, polarity), 9) >= -5 THEN 'within'
        ELSE 'not met'
    END;

-- Trend: the value now against the value a year earlier, judged by polarity.
CREATE OR REPLACE MACRO rules.trend(value_now, value_year_earlier, polarity) AS
    CASE
        WHEN value_now IS NULL OR value_year_earlier IS NULL OR polarity IS NULL THEN NULL
        WHEN value_now = value_year_earlier THEN 'same'
        WHEN (value_now > value_year_earlier) = (polarity = 'Higher') THEN 'improved'
        ELSE 'worse'
    END;

-- Trend with its fallbacks, and the basis it rests on: the warehouse's own
-- value a year earlier first, else the return's same_period_last_year, else the
-- trend the service printed (reported, not computed); none of these: no trend.
CREATE OR REPLACE MACRO rules.trend_with_basis(value_now, value_from_history, value_same_period_last_year, reported_trend, polarity) AS
    CASE
        WHEN rules.trend(value_now, value_from_history, polarity) IS NOT NULL THEN
            {'trend': rules.trend(value_now, value_from_history, polarity), 'basis': 'warehouse history'}
        WHEN rules.trend(value_now, value_same_period_last_year, polarity) IS NOT NULL THEN
            {'trend': rules.trend(value_now, value_same_period_last_year, polarity), 'basis': 'same period last year'}
        WHEN reported_trend IS NOT NULL THEN
            {'trend': reported_trend, 'basis': 'reported'}
        ELSE {'trend': NULL, 'basis': NULL}
    END;

-- Direction of travel: the variance now against the variance at the previous
-- reported period. Variance is signed so that higher is better whatever the
-- polarity, so a larger variance is 'improving'.
CREATE OR REPLACE MACRO rules.direction_of_travel(variance_now, variance_before) AS
    CASE
        WHEN variance_now IS NULL OR variance_before IS NULL THEN NULL
        WHEN round(variance_now, 9) > round(variance_before, 9) THEN 'improving'
        WHEN round(variance_now, 9) < round(variance_before, 9) THEN 'worsening'
        ELSE 'same'
    END;
