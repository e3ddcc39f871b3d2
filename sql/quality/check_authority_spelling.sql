-- A return naming its authority in another case, spacing or punctuation than
-- the name the warehouse first knew it by ('REDSHIRE' for 'Redshire'). It is
-- the same authority, and its rows are read as that name (the gate decides an
-- authority's name once: validated.authority_names), but the return should
-- write it the same way.
-- grain: authority, reporting_period, check_name

with spellings as (

    select * from staging.stg_authority_spellings

),

returns as (

    select distinct authority, reporting_period, file_path, file_hash
    from staging.stg_indicator_returns
    union
    select distinct authority, reporting_period, file_path, file_hash
    from staging.stg_milestone_returns

),

typed as (

    select returns.*, spellings.typed_authority, spellings.first_row_number as row_number
    from spellings
    inner join returns using (file_path, file_hash, authority)

),

variants as (

    select
        authority,
        reporting_period,
        string_agg(distinct typed_authority, ', ' order by typed_authority) as typed_names,
        min(file_path) as file_path,
        min_by(row_number, (file_path, row_number)) as row_number

    from typed
    where typed_authority <> authority
    group by authority, reporting_period

)

select
    authority,
    reporting_period,
    null as priority_number,
    null as ref,
    null as period_key,
    'authority_spelling' as check_name,
    'WARN' as severity,
    format(
        'The {} return names its authority ''{}'', read as {}, the name it was first '
        || 'given: write {} as the other returns do.',
        reporting_period, typed_names, authority, authority
    ) as message,
    typed_names as observed,
    authority as expected,
    file_path as source_file_path,
    row_number as source_row_number

from variants
