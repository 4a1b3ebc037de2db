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

final as (
    select
        *,
        list_filter(
            [
                case when patient_id is null then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                case when length(patient_id) > 64 then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                case when code_system is null then { 'column_name': 'code_system', 'reason': 'code_system is missing (required: ICD10CM, ICD9CM or SNOMEDCT)' } end,
                case when norm_code_system(code_system) not in ('ICD10CM', 'ICD9CM', 'SNOMEDCT') then { 'column_name': 'code_system', 'reason': 'code_system ''' || code_system || ''' is not a known code system (expected ICD10CM, ICD9CM or SNOMEDCT)' } end,
                case when code is null then { 'column_name': 'code', 'reason': 'code is missing (required)' } end,
                case when diagnosis_date_text is null then { 'column_name': 'diagnosis_date', 'reason': 'diagnosis_date is missing (required)' } end,
                case when diagnosis_date_text is not null and diagnosis_date is null then { 'column_name': 'diagnosis_date', 'reason': 'diagnosis_date ''' || diagnosis_date_text || ''' is not a date (expected YYYY-MM-DD)' } end
            ],
            lambda p: p is not null
        ) as _problems
    from typed
)

select * from final
