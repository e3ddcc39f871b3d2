-- Comparator quartiles: where an authority's value stands among the members of
-- a comparator group (CIPFA nearest neighbours, DfE statistical neighbours ...),
-- by the three published methods a return may choose. Quartile 1 is always the
-- best performers, whichever way is better. The model computes the group's
-- window results (percentiles, rank, NTILE) and passes them here, so that each
-- method's rule is in this one place. Only members with a value are counted,
-- ranked or quartiled.

create schema if not exists rules;

-- A group is put into quartiles only when it has at least four members with a
-- value: fewer cannot fill four quartiles. This is also phe_quantile's own rule
-- (no quantile where the group has fewer values than quantiles), so the three
-- methods agree on which groups have a quartile.
create or replace macro rules.group_is_quartiled(group_size) as
    coalesce(group_size >= 4, false);

-- The key that sorts a group best first: the value itself where lower is
-- better, the value negated where higher is better (phe_quantile ranks
-- -values when invert = TRUE). No polarity, no order.
create or replace macro rules.better_first(value, polarity) as
    case polarity
        when 'Higher' then -value
        when 'Lower' then value
    end;

-- 'lait': the DfE Local Authority Interactive Tool's quartile banding, as the
-- project's comparator spec states it (DfE publishes LAIT and its user guide at
-- gov.uk/government/publications/local-authority-interactive-tool-lait; the
-- guide's own wording was not available to check against). Cut points are
-- the group's 25th, 50th and 75th percentiles by Excel's QUARTILE.INC /
-- PERCENTILE.INC (Hyndman-Fan type 7, DuckDB quantile_cont), over the values
-- of all members, the authority included: for sorted values
-- x1..xn, P = x[h] + (h - floor(h)) * (x[h + 1] - x[h]) with h = (n - 1) * p + 1.
-- A value on a cut point goes to the worse band. Higher is better:
-- value > P75 is 1, P50 < value <= P75 is 2, P25 < value <= P50 is 3,
-- value <= P25 is 4. Lower is better, the mirror: value < P25 is 1,
-- P25 <= value < P50 is 2, P50 <= value < P75 is 3, value >= P75 is 4.
create or replace macro rules.quartile_lait(value, p25, p50, p75, polarity, group_size) as
    case
        when value is null or not rules.group_is_quartiled(group_size) then null
        when polarity = 'Higher' then
            case
                when value > p75 then 1
                when value > p50 then 2
                when value > p25 then 3
                else 4
            end
        when polarity = 'Lower' then
            case
                when value < p25 then 1
                when value < p50 then 2
                when value < p75 then 3
                else 4
            end
    end;

-- The quantile of OHID's (formerly PHE's) published method, exactly as the
-- PHEindicatormethods R package's phe_quantile computes it (R/Quantiles.R,
-- github.com/ukhsa-collaboration/PHEindicatormethods; the methodology is OHID's
-- Technical Guide 'Assigning deprivation categories', Fingertips):
--   num_small_areas = the number of the group's records with a value
--   rank = rank(values, ties.method = "min", na.last = "keep"), of -values
--          where invert = TRUE
--   quantile = if_else(num_small_areas < nquantiles, NA,
--       floor((nquantiles + 1) - ceiling(((num_small_areas + 1) - rank)
--                                         / (num_small_areas / nquantiles))))
--   quantile = if_else(quantile == 0, 1, quantile)
-- rank is SQL RANK() over the members with a value (ties share the lowest
-- rank); the division is in floating point, as in R. (For four quantiles the
-- 0-to-1 correction never fires: n / (n / 4) is exactly 4 in floating point.)
create or replace macro rules.phe_quantile_formula(rank, num_small_areas, nquantiles) as
    floor(
        (nquantiles + 1) - ceiling(
            ((num_small_areas + 1) - rank) / (cast(num_small_areas as double) / nquantiles)
        )
    );

create or replace macro rules.phe_quantile(rank, num_small_areas, nquantiles) as
    cast(
        case
            when num_small_areas < nquantiles then null
            when rules.phe_quantile_formula(rank, num_small_areas, nquantiles) = 0 then 1
            else rules.phe_quantile_formula(rank, num_small_areas, nquantiles)
        end as integer
    );

-- 'ohid': phe_quantile with nquantiles = 4. Its invert argument is the
-- polarity: invert = TRUE ("lowest quantile represents highest values", the
-- package's default) where higher is better, invert = FALSE where lower is
-- better, so quartile 1 is the best either way. The caller ranks the members
-- best first (rules.better_first), which is that choice of invert; rank 1 is
-- the best value.
create or replace macro rules.quartile_ohid(rank, group_size) as
    rules.phe_quantile(rank, group_size, 4);

-- 'ntile': NTILE(4) over the members with a value, best first: the first
-- n % 4 quartiles take one member more than the rest (SQL's NTILE window
-- function, as DuckDB computes it). NTILE splits tied
-- values between quartiles arbitrarily, so the model breaks ties by
-- member_authority, A to Z: of two equal values, the name first in the
-- alphabet takes the better quartile.
create or replace macro rules.quartile_ntile(ntile_4, group_size) as
    case when rules.group_is_quartiled(group_size) then cast(ntile_4 as integer) end;

-- The quartile of the method the return chose ('lait', 'ohid' or 'ntile').
create or replace macro rules.quartile_by_method(
    quartile_method, quartile_lait, quartile_ohid, quartile_ntile
) as
    case quartile_method
        when 'lait' then quartile_lait
        when 'ohid' then quartile_ohid
        when 'ntile' then quartile_ntile
    end;
