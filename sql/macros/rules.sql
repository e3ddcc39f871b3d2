-- The rules the published performance reports use, each in exactly one place.
-- The SQL models call these; the Python never re-implements them.
-- Spec: ../shared/return-template.md, "The rules the published reports use".

create schema if not exists rules;

-- The target a value is judged against, for the period the value is for:
-- the profiled target of that quarter where the return sets one (a value at the
-- end of a quarter only); otherwise, for a cumulative (year-to-date) measure,
-- the annual target pro rata to the months elapsed (Q2 = 6/12); otherwise the
-- annual target as it stands. profiled_targets is [target_q1, .., target_q4].
-- period_target_basis names which of the three it is, for a reader: 'profiled',
-- 'pro rata' or 'annual'.
create or replace macro rules.period_target_basis(profiled_targets, measure_type, fiscal_month) as
    case
        when profiled_targets[rules.quarter_of_month(fiscal_month)] is not null
            then 'profiled'
        when measure_type = 'cumulative' then 'pro rata'
        else 'annual'
    end;

create or replace macro rules.period_target(
    annual_target, profiled_targets, measure_type, fiscal_month
) as
    case rules.period_target_basis(profiled_targets, measure_type, fiscal_month)
        when 'profiled' then profiled_targets[rules.quarter_of_month(fiscal_month)]
        when 'pro rata' then annual_target * fiscal_month / 12
        else annual_target
    end;

-- Variance from target, in per cent, signed so that positive is better:
-- (value - target) / target * 100 where higher is better, the reverse where
-- lower is better. A zero target has no per cent variance. Dividing by the
-- target's size keeps the sign meaning 'better' for a negative target too
-- (a net change aiming at -10); for the usual positive target it is the
-- published formula exactly.
-- Multiplying before dividing keeps round cases exact (95 vs 100 is -5, not -5.000000000000001).
create or replace macro rules.variance_pct(value, target, polarity) as
    case
        when value is null or target is null or target = 0 then null
        when polarity = 'Higher' then (value - target) * 100 / abs(target)
        when polarity = 'Lower' then (target - value) * 100 / abs(target)
    end;

-- A summary's share: part of whole in per cent, 0-100, unrounded (the reports
-- round when they print); no share of nothing.
create or replace macro rules.per_cent(part, whole) as
    100.0 * part / nullif(whole, 0);

-- Performance against target: variance >= 0 'met' (green), -5 <= variance < 0
-- 'within' 95% of target (amber), below -5 'not met' (red). No value or no
-- target: no status. A zero target has no 5% band: a value on the right side
-- of zero (or at it) meets it, any other does not.
create or replace macro rules.performance_status(value, target, polarity) as
    case
        when value is null or target is null then null
        when target = 0 then
            case
                when (polarity = 'Higher' and value >= 0) or (polarity = 'Lower' and value <= 0)
                    then 'met'
                else 'not met'
            end
        -- Rounded to 9 places only to drop binary noise at the band edges.
        when round(rules.variance_pct(value, target, polarity), 9) >= 0 then 'met'
        when round(rules.variance_pct(value, target, polarity), 9) >= -5 then 'within'
        else 'not met'
    end;

-- Trend: the value now against the value a year earlier, judged by polarity.
create or replace macro rules.trend(value_now, value_year_earlier, polarity) as
    case
        when value_now is null or value_year_earlier is null or polarity is null then null
        when value_now = value_year_earlier then 'same'
        when (value_now > value_year_earlier) = (polarity = 'Higher') then 'improved'
        else 'worse'
    end;

-- Trend with its fallbacks, and the basis it rests on: the warehouse's own
-- value a year earlier first, else the return's same_period_last_year, else the
-- trend the service printed (reported, not computed); none of these: no trend.
create or replace macro rules.trend_with_basis(
    value_now, value_from_history, value_same_period_last_year, reported_trend, polarity
) as
    case
        when rules.trend(value_now, value_from_history, polarity) is not null then
            {
                'trend': rules.trend(value_now, value_from_history, polarity),
                'basis': 'warehouse history'
            }
        when rules.trend(value_now, value_same_period_last_year, polarity) is not null then
            {
                'trend': rules.trend(value_now, value_same_period_last_year, polarity),
                'basis': 'same period last year'
            }
        when reported_trend is not null then
            {'trend': reported_trend, 'basis': 'reported'}
        else {'trend': null, 'basis': null}
    end;

-- Direction of travel: the variance now against the variance at the previous
-- reported period. Variance is signed so that higher is better whatever the
-- polarity, so a larger variance is 'improving'.
create or replace macro rules.direction_of_travel(variance_now, variance_before) as
    case
        when variance_now is null or variance_before is null then null
        when round(variance_now, 9) > round(variance_before, 9) then 'improving'
        when round(variance_now, 9) < round(variance_before, 9) then 'worsening'
        else 'same'
    end;
