-- An indicator due this quarter by its frequency (Annual at Q4, Quarterly from
-- Q2 from Q2, others every quarter) whose cell is blank: no value and no note
-- saying why.

select
    authority,
    period_key as reporting_period,
    priority_number,
    ref,
    period_key,
    'due_value_missing' as check_name,
    'WARN' as severity,
    format(
        '{} has no value and no explanation for {}, though {} indicators are due then.',
        ref, period_key, coalesce(frequency, 'quarterly')
    ) as message,
    'blank' as observed,
    'a value, or a note saying when it will come' as expected,
    source_file_path,
    source_row_number

from marts.fct_indicator_observations
where in_return_for_period
    and value is null
    and value_note is null
    and rules.is_due(frequency, rules.quarter_of_month(fiscal_month))
