-- Contract checks for one incoming medications file.
-- Grain: one row per source record of `_incoming` (all columns text, plus `_line`).
-- `_raw` carries the record as delivered (a struct of `_line` and the text columns), for
-- the quarantine.
-- Output: the typed contract columns, and `_problems` (empty when the record loads).
-- An unknown frequency is kept (the daily dose is then left unknown), not quarantined.
with typed as (
    select
        _line,
        _incoming as _raw,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(code_system), '') as code_system,
        nullif(trim(code), '') as code,
        nullif(trim(drug_name), '') as drug_name,
        nullif(trim(start_date), '') as start_date_text,
        parse_date(start_date) as start_date,
        nullif(trim(end_date), '') as end_date_text,
        parse_date(end_date) as end_date,
        nullif(trim(dose_value), '') as dose_value_text,
        parse_num(dose_value) as dose_value,
        nullif(trim(dose_unit), '') as dose_unit,
        nullif(trim(frequency), '') as frequency,
        nullif(trim(route), '') as route
    from _incoming
),

checks as (
    -- One flag per rule: true when the record breaks it.
    select
        *,
        patient_id is null as patient_id_missing,
        length(patient_id) > 64 as patient_id_too_long,
        code_system is null as code_system_missing,
        -- the usual spellings need no normalising (same answer, less work)
        case
            when code_system in ('RXNORM', 'ATC', 'CVX') then false
            else norm_code_system(code_system) not in ('RXNORM', 'ATC', 'CVX')
        end as code_system_unknown,
        code is null as code_missing,
        start_date_text is null as start_date_missing,
        start_date_text is not null and start_date is null as start_date_invalid,
        end_date_text is not null and end_date is null as end_date_invalid,
        dose_value_text is not null and (dose_value is null or not isfinite(dose_value)) as dose_value_invalid
    from typed
),

final as (
    -- A record's problems in rule order, the list built only for a record that breaks a
    -- rule (few records: the same lists for less work).
    select
        * exclude (
            patient_id_missing,
            patient_id_too_long,
            code_system_missing,
            code_system_unknown,
            code_missing,
            start_date_missing,
            start_date_invalid,
            end_date_invalid,
            dose_value_invalid
        ),
        case
            when
                patient_id_missing
                or patient_id_too_long
                or code_system_missing
                or code_system_unknown
                or code_missing
                or start_date_missing
                or start_date_invalid
                or end_date_invalid
                or dose_value_invalid
                then list_filter(
                    [
                        case when patient_id_missing then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                        case when patient_id_too_long then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                        case when code_system_missing then { 'column_name': 'code_system', 'reason': 'code_system is missing (required: RXNORM, ATC or CVX)' } end,
                        case when code_system_unknown then { 'column_name': 'code_system', 'reason': 'code_system ''' || code_system || ''' is not a known code system (expected RXNORM, ATC or CVX)' } end,
                        case when code_missing then { 'column_name': 'code', 'reason': 'code is missing (required)' } end,
                        case when start_date_missing then { 'column_name': 'start_date', 'reason': 'start_date is missing (required)' } end,
                        case when start_date_invalid then { 'column_name': 'start_date', 'reason': 'start_date ''' || start_date_text || ''' is not a date (expected YYYY-MM-DD)' } end,
                        case when end_date_invalid then { 'column_name': 'end_date', 'reason': 'end_date ''' || end_date_text || ''' is not a date (expected YYYY-MM-DD)' } end,
                        case when dose_value_invalid then { 'column_name': 'dose_value', 'reason': 'dose_value ''' || dose_value_text || ''' is not a number (expected digits with ''.'' as decimal point)' } end
                    ],
                    lambda p: p is not null
                )
            else []
        end as _problems
    from checks
)

select * from final
