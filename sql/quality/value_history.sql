-- Every reported value judged against the indicator's own earlier values:
-- the median and median absolute deviation (MAD) of its history and the
-- modified z-score (sql/macros/quality.sql). A cumulative measure is compared
-- with the same point of earlier years, a snapshot with all earlier periods of
-- its type. judged says whether the history was long and varied enough to
-- judge at all; the data-quality report counts those it was not.
-- grain: authority, ref, period_key

with histories as (

    select
        *,
        list(value) over (
            partition by authority, ref, period_type,
                case when measure_type = 'cumulative' then fiscal_month end
            order by period_end
            rows between unbounded preceding and 1 preceding
        ) as history

    from marts.fct_indicator_observations
    where value is not null

),

summarised as (

    select
        *,
        len(history) as history_length,
        list_median(history) as history_median

    from histories

),

spread as (

    select
        *,
        list_median(list_transform(history, lambda earlier: abs(earlier - history_median)))
            as history_mad,
        list_avg(list_transform(history, lambda earlier: abs(earlier - history_median)))
            as history_mean_abs_dev

    from summarised

)

select
    authority,
    ref,
    period_key,
    period_type,
    priority_number,
    source_reporting_period,
    source_file_path,
    source_row_number,
    value,
    history_length,
    history_median,
    history_mad,
    rules.modified_z_score(value, history_median, history_mad, history_mean_abs_dev)
        as modified_z_score,
    history_length >= rules.outlier_min_history()
        and rules.modified_z_score(value, history_median, history_mad, history_mean_abs_dev)
            is not null as judged

from spread
