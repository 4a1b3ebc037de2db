-- Contract checks for one incoming diagnoses file.
-- Grain: one row per source record of `_incoming` (all columns text, plus `_line`).
-- `_raw` carries the record as delivered (a struct of `_line` and the text columns), for
-- the quarantine.
-- Output: the typed contract columns, and `_problems` (empty when the record loads).
with typed as (
    select
        _line,
        _incoming as _raw,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(code_system), '') as code_system,
        nullif(trim(code), '') as code,
        nullif(trim(diagnosis_date), '') as diagnosis_date_text,
        parse_date(diagnosis_date) as diagnosis_date,
        nullif(trim(source), '') as source
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
            when code_system in ('ICD10CM', 'ICD9CM', 'SNOMEDCT') then false
            else norm_code_system(code_system) not in ('ICD10CM', 'ICD9CM', 'SNOMEDCT')
        end as code_system_unknown,
        code is null as code_missing,
        diagnosis_date_text is null as diagnosis_date_missing,
        diagnosis_date_text is not null and diagnosis_date is null as diagnosis_date_invalid
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
            diagnosis_date_missing,
            diagnosis_date_invalid
        ),
        case
            when
                patient_id_missing
                or patient_id_too_long
                or code_system_missing
                or code_system_unknown
                or code_missing
                or diagnosis_date_missing
                or diagnosis_date_invalid
                then list_filter(
                    [
                        case when patient_id_missing then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                        case when patient_id_too_long then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                        case when code_system_missing then { 'column_name': 'code_system', 'reason': 'code_system is missing (required: ICD10CM, ICD9CM or SNOMEDCT)' } end,
                        case when code_system_unknown then { 'column_name': 'code_system', 'reason': 'code_system ''' || code_system || ''' is not a known code system (expected ICD10CM, ICD9CM or SNOMEDCT)' } end,
                        case when code_missing then { 'column_name': 'code', 'reason': 'code is missing (required)' } end,
                        case when diagnosis_date_missing then { 'column_name': 'diagnosis_date', 'reason': 'diagnosis_date is missing (required)' } end,
                        case when diagnosis_date_invalid then { 'column_name': 'diagnosis_date', 'reason': 'diagnosis_date ''' || diagnosis_date_text || ''' is not a date (expected YYYY-MM-DD)' } end
                    ],
                    lambda p: p is not null
                )
            else []
        end as _problems
    from checks
)

select * from final
