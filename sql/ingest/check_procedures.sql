-- Contract checks for one incoming procedures file (extract contract version 2).
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
        nullif(trim(procedure_date), '') as procedure_date_text,
        parse_date(procedure_date) as procedure_date
    from _incoming
),

checks as (
    -- One flag per rule: true when the record breaks it.
    select
        *,
        patient_id is null as patient_id_missing,
        length(patient_id) > 64 as patient_id_too_long,
        code_system is null as code_system_missing,
        case
            when code_system in ('SNOMEDCT', 'ICD10PCS', 'CPT4', 'HCPCS') then false
            else norm_code_system(code_system) not in ('SNOMEDCT', 'ICD10PCS', 'CPT4', 'HCPCS')
        end as code_system_unknown,
        code is null as code_missing,
        procedure_date_text is null as procedure_date_missing,
        procedure_date_text is not null and procedure_date is null as procedure_date_invalid
    from typed
),

final as (
    -- A record's problems in rule order, the list built only for a record that breaks a
    -- rule.
    select
        * exclude (
            patient_id_missing,
            patient_id_too_long,
            code_system_missing,
            code_system_unknown,
            code_missing,
            procedure_date_missing,
            procedure_date_invalid
        ),
        case
            when
                patient_id_missing
                or patient_id_too_long
                or code_system_missing
                or code_system_unknown
                or code_missing
                or procedure_date_missing
                or procedure_date_invalid
                then list_filter(
                    [
                        case when patient_id_missing then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                        case when patient_id_too_long then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                        case when code_system_missing then { 'column_name': 'code_system', 'reason': 'code_system is missing (required: SNOMEDCT, ICD10PCS, CPT4 or HCPCS)' } end,
                        case when code_system_unknown then { 'column_name': 'code_system', 'reason': 'code_system ''' || code_system || ''' is not a known code system (expected SNOMEDCT, ICD10PCS, CPT4 or HCPCS)' } end,
                        case when code_missing then { 'column_name': 'code', 'reason': 'code is missing (required)' } end,
                        case when procedure_date_missing then { 'column_name': 'procedure_date', 'reason': 'procedure_date is missing (required)' } end,
                        case when procedure_date_invalid then { 'column_name': 'procedure_date', 'reason': 'procedure_date ''' || procedure_date_text || ''' is not a date (expected YYYY-MM-DD)' } end
                    ],
                    lambda p: p is not null
                )
            else []
        end as _problems
    from checks
)

select * from final
