-- The fact table as its suite sees it, with each status judged again from its
-- variance alone by the same macro (a variance p is judged as a value of
-- 100 + p against 100, higher being better): status and variance must agree.
select
    *,
    rules.performance_status(100 + variance_pct, 100, 'Higher') as status_from_variance
from marts.fct_indicator_observations
