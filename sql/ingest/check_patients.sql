-- Contract checks for one incoming patients file.
-- Grain: one row per source record of `_incoming` (all columns text, plus `_line`).
-- `_raw` carries the record as delivered (a struct of `_line` and the text columns), for
-- the quarantine.
-- Output: the typed contract columns, and `_problems`, the list of {column_name, reason}
-- that send the record to quarantine (empty when the record loads).
-- A birth in the future is checked against the day of the load (current_date), not a
-- trial's as-of date: a birth after a past as-of date but before today is a real birth.
with typed as (
    select
        _line,
        _incoming as _raw,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(sex), '') as sex,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(birth_date), '') as birth_date_text,
        nullif(trim(birth_year), '') as birth_year_text,
        nullif(trim(death_date), '') as death_date_text,
        parse_date(birth_date) as birth_date,
        try_cast(parse_num(birth_year) as integer) as birth_year,
        parse_date(death_date) as death_date
    from _incoming
),

checks as (
    -- One flag per rule: true when the record breaks it.
    select
        *,
        patient_id is null as patient_id_missing,
        length(patient_id) > 64 as patient_id_too_long,
        sex is null as sex_missing,
        lower(sex) not in ('f', 'm', 'u', 'female', 'male', 'unknown') as sex_unknown,
        site_id is null as site_id_missing,
        birth_date_text is not null and birth_date is null as birth_date_invalid,
        birth_year_text is not null and (birth_year is null or birth_year != parse_num(birth_year_text)) as birth_year_invalid,
        birth_date_text is null and birth_year_text is null as birth_missing,
        birth_date > current_date as birth_date_future,
        birth_year > year(current_date) as birth_year_future,
        death_date_text is not null and death_date is null as death_date_invalid
    from typed
),

final as (
    -- A record's problems in rule order, the list built only for a record that breaks a
    -- rule (few records: the same lists for less work).
    select
        * exclude (
            patient_id_missing,
            patient_id_too_long,
            sex_missing,
            sex_unknown,
            site_id_missing,
            birth_date_invalid,
            birth_year_invalid,
            birth_missing,
            birth_date_future,
            birth_year_future,
            death_date_invalid
        ),
        case
            when
                patient_id_missing
                or patient_id_too_long
                or sex_missing
                or sex_unknown
                or site_id_missing
                or birth_date_invalid
                or birth_year_invalid
                or birth_missing
                or birth_date_future
                or birth_year_future
                or death_date_invalid
                then list_filter(
                    [
                        case when patient_id_missing then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                        case when patient_id_too_long then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                        case when sex_missing then { 'column_name': 'sex', 'reason': 'sex is missing (required: F, M or U)' } end,
                        case when sex_unknown then { 'column_name': 'sex', 'reason': 'sex ''' || sex || ''' is not a known sex (expected F, M, U, female, male or unknown)' } end,
                        case when site_id_missing then { 'column_name': 'site_id', 'reason': 'site_id is missing (required)' } end,
                        case when birth_date_invalid then { 'column_name': 'birth_date', 'reason': 'birth_date ''' || birth_date_text || ''' is not a date (expected YYYY-MM-DD)' } end,
                        case when birth_year_invalid then { 'column_name': 'birth_year', 'reason': 'birth_year ''' || birth_year_text || ''' is not a year (expected YYYY)' } end,
                        case when birth_missing then { 'column_name': 'birth_date', 'reason': 'birth_date and birth_year are both missing (one is required)' } end,
                        case when birth_date_future then { 'column_name': 'birth_date', 'reason': 'birth_date ''' || birth_date_text || ''' is in the future (expected a date on or before today)' } end,
                        case when birth_year_future then { 'column_name': 'birth_year', 'reason': 'birth_year ''' || birth_year_text || ''' is in the future (expected this year or earlier)' } end,
                        case when death_date_invalid then { 'column_name': 'death_date', 'reason': 'death_date ''' || death_date_text || ''' is not a date (expected YYYY-MM-DD)' } end
                    ],
                    lambda p: p is not null
                )
            else []
        end as _problems
    from checks
)

select * from final
