-- A printed cell (variance, trend, quartile) that holds something other than
-- N/A that cannot be read: a '%' alone, a glyph from a lost font. The row
-- still loads; the cell counts as no value, and the service should say what
-- it meant.

with printed_cells as (

    unpivot (
        select
            authority, reporting_period, priority_number, ref, file_path, row_number,
            {'unreadable': reported_variance_unreadable, 'text': reported_variance_text}
                as reported_variance,
            {'unreadable': reported_trend_unreadable, 'text': reported_trend_text}
                as reported_trend,
            {'unreadable': comparative_quartile_unreadable, 'text': comparative_quartile_text}
                as comparative_quartile
        from intermediate.int_return_indicators
    )
    on reported_variance, reported_trend, comparative_quartile
    into name column_name value cell

)

select
    authority,
    reporting_period,
    priority_number,
    ref,
    null as period_key,
    'unreadable_' || column_name as check_name,
    'INFO' as severity,
    format(
        '{}''s {} cell reads ''{}'', which is not a {}: it counts as no value.',
        ref, replace(column_name, '_', ' '), cell.text,
        case column_name
            when 'reported_variance' then 'number'
            when 'reported_trend' then 'trend (an arrow, Improved, Worse or Same)'
            else 'quartile (1st to 4th)'
        end
    ) as message,
    cell.text as observed,
    case column_name
        when 'reported_variance' then 'a per cent, e.g. -6.25%'
        when 'reported_trend' then 'an arrow, Improved, Worse, Same or N/A'
        else '1st, 2nd, 3rd or 4th Quartile, or N/A'
    end as expected,
    file_path as source_file_path,
    row_number as source_row_number

from printed_cells
where cell.unreadable
