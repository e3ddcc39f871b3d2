-- Returns the register (reference.expected_returns) expects that have not
-- arrived: for each authority, every period from the register's first one up
-- to the later of its latest return and the latest quarter a run was asked
-- to build (so a quarter run before anything arrived flags every return).

with register as (

    select * from reference.expected_returns

),

arrived as (

    select distinct authority, financial_year_start, reporting_quarter, priority_number
    from intermediate.int_return_indicators

),

latest_quarter as (

    select
        register_authorities.authority,
        greatest(
            max(rules.quarter_index(
                arrived.financial_year_start, arrived.reporting_quarter
            )),
            (select max(rules.quarter_index(financial_year_start, reporting_quarter))
                from staging.stg_requested_quarters)
        ) as quarter_index

    from (select distinct authority from register) as register_authorities
    left join arrived using (authority)
    group by register_authorities.authority

),

expected as (

    select
        register.authority,
        register.priority_number,
        register.frequency,
        rules.quarter_period_key(register.from_financial_year_start, register.from_quarter)
            as from_period,
        unnest(range(
            rules.quarter_index(register.from_financial_year_start, register.from_quarter),
            latest_quarter.quarter_index + 1
        )) as quarter_index

    from register
    inner join latest_quarter using (authority)

),

due as (

    select
        *,
        rules.quarter_index_start_year(quarter_index) as financial_year_start,
        rules.quarter_index_number(quarter_index) as reporting_quarter
    from expected
    where rules.is_due(frequency, rules.quarter_index_number(quarter_index))

)

select
    due.authority,
    rules.quarter_period_key(due.financial_year_start, due.reporting_quarter) as reporting_period,
    due.priority_number,
    null as ref,
    null as period_key,
    'missing_return' as check_name,
    'WARN' as severity,
    format(
        'No return for priority {} has arrived for {}: the register expects a {} return from {}.',
        due.priority_number,
        rules.quarter_period_key(due.financial_year_start, due.reporting_quarter),
        lower(due.frequency),
        due.from_period
    ) as message,
    'no return' as observed,
    format('{} return from {}', due.frequency, due.from_period) as expected,
    null as source_file_path,
    null as source_row_number

from due
anti join arrived using (authority, financial_year_start, reporting_quarter, priority_number)
