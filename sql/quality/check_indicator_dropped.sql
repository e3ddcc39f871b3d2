-- An indicator in a return for the previous quarter of the same financial
-- year that is absent from this quarter's return for the same priority.
-- (A whole missing return is check_missing_returns' finding, not this one's.)

with scope as (

    select * from intermediate.int_return_indicators

),

priorities_arrived as (

    select distinct authority, financial_year_start, reporting_quarter, priority_number
    from scope

),

dropped as (

    select
        previous.*,
        previous.reporting_period as previous_reporting_period,
        now.reporting_quarter as now_quarter
    from scope as previous
    inner join priorities_arrived as now
        on previous.authority = now.authority
        and previous.financial_year_start = now.financial_year_start
        and rules.quarter_index(previous.financial_year_start, previous.reporting_quarter) + 1
            = rules.quarter_index(now.financial_year_start, now.reporting_quarter)
        and previous.priority_number = now.priority_number
    anti join scope as current_scope
        on previous.authority = current_scope.authority
        and previous.ref = current_scope.ref
        and previous.financial_year_start = current_scope.financial_year_start
        and rules.quarter_index(previous.financial_year_start, previous.reporting_quarter) + 1
            = rules.quarter_index(
                current_scope.financial_year_start, current_scope.reporting_quarter
            )

)

select
    authority,
    rules.quarter_period_key(financial_year_start, now_quarter) as reporting_period,
    priority_number,
    ref,
    null as period_key,
    'indicator_dropped' as check_name,
    'WARN' as severity,
    format(
        '{} was in the {} return for priority {} but is missing from the {} return.',
        ref, previous_reporting_period, priority_number,
        rules.quarter_period_key(financial_year_start, now_quarter)
    ) as message,
    'not in the return' as observed,
    format('{}, as in {}', ref, previous_reporting_period) as expected,
    file_path as source_file_path,
    row_number as source_row_number

from dropped
