-- A value far outside the indicator's own history (quality.value_history):
-- a modified z-score above the threshold of sql/macros/quality.sql.

select
    authority,
    source_reporting_period as reporting_period,
    priority_number,
    ref,
    period_key,
    'value_outlier' as check_name,
    'WARN' as severity,
    format(
        '{} reports {} for {}, far from its history (median {} over {} earlier values).',
        ref, value, period_key, round(history_median, 2), history_length
    ) as message,
    cast(value as varchar) as observed,
    format(
        'within {} robust deviations of {}', rules.outlier_threshold(), round(history_median, 2)
    ) as expected,
    source_file_path,
    source_row_number

from quality.value_history
where judged
    and modified_z_score > rules.outlier_threshold()
