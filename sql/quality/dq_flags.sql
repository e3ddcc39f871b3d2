-- Every data-quality finding of the run, one row each: what a service lead
-- reads to put a return right. severity: ERROR (the figure cannot be right),
-- WARN (it needs a look or an explanation), INFO (a cell that says nothing).
-- partitioned by: reporting_period
-- grain: authority, reporting_period, priority_number, ref, period_key, check_name

select * from quality.check_missing_returns
union all by name select * from quality.check_ref_in_two_returns
union all by name select * from quality.check_indicator_dropped
union all by name select * from quality.check_due_value_missing
union all by name select * from quality.check_target_missing
union all by name select * from quality.check_percentage_out_of_range
union all by name select * from quality.check_negative_count
union all by name select * from quality.check_cumulative_falls
union all by name select * from quality.check_value_outlier
union all by name select * from quality.check_reported_variance_mismatch
union all by name select * from quality.check_reported_trend_mismatch
union all by name select * from quality.check_target_changed_in_year
union all by name select * from quality.check_inconsistent_indicator
union all by name select * from quality.check_unreadable_printed_cell
union all by name select * from quality.check_milestone_slipped
union all by name select * from quality.check_milestone_dropped
union all by name select * from quality.check_reported_quartile_mismatch
union all by name select * from quality.check_formula_without_value
union all by name select * from quality.check_sheet_chosen
union all by name select * from quality.check_authority_spelling
