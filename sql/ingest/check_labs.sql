-- Contract checks for one incoming labs file.
-- Grain: one row per source record of `_incoming` (all columns text, plus `_line`).
-- `_raw` carries the record as delivered (a struct of `_line` and the text columns), for
-- the quarantine.
-- Output: the typed contract columns, and `_problems` (empty when the record loads).
-- A result needs value_num or value_text; a value_num that is not a plain number
-- ('5,2', '12a') is quarantined rather than guessed.
with typed as (
    select
        _line,
        _incoming as _raw,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(code_system), '') as code_system,
        nullif(trim(code), '') as code,
        nullif(trim(result_date), '') as result_date_text,
        parse_date(result_date) as result_date,
        nullif(trim(value_num), '') as value_num_text,
        parse_num(value_num) as value_num,
        nullif(trim(value_text), '') as value_text,
        nullif(trim(unit), '') as unit,
        nullif(trim(ref_low), '') as ref_low_text,
        parse_num(ref_low) as ref_low,
        nullif(trim(ref_high), '') as ref_high_text,
        parse_num(ref_high) as ref_high
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
            when code_system in ('LOINC', 'SCORE') then false
            else norm_code_system(code_system) not in ('LOINC', 'SCORE')
        end as code_system_unknown,
        code is null as code_missing,
        result_date_text is null as result_date_missing,
        result_date_text is not null and result_date is null as result_date_invalid,
        value_num_text is not null and (value_num is null or not isfinite(value_num)) as value_num_invalid,
        value_num_text is null and value_text is null as value_missing,
        ref_low_text is not null and (ref_low is null or not isfinite(ref_low)) as ref_low_invalid,
        ref_high_text is not null and (ref_high is null or not isfinite(ref_high)) as ref_high_invalid
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
            result_date_missing,
            result_date_invalid,
            value_num_invalid,
            value_missing,
            ref_low_invalid,
            ref_high_invalid
        ),
        case
            when
                patient_id_missing
                or patient_id_too_long
                or code_system_missing
                or code_system_unknown
                or code_missing
                or result_date_missing
                or result_date_invalid
                or value_num_invalid
                or value_missing
                or ref_low_invalid
                or ref_high_invalid
                then list_filter(
                    [
                        case when patient_id_missing then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                        case when patient_id_too_long then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                        case when code_system_missing then { 'column_name': 'code_system', 'reason': 'code_system is missing (required: LOINC or SCORE)' } end,
                        case when code_system_unknown then { 'column_name': 'code_system', 'reason': 'code_system ''' || code_system || ''' is not a known code system (expected LOINC or SCORE)' } end,
                        case when code_missing then { 'column_name': 'code', 'reason': 'code is missing (required)' } end,
                        case when result_date_missing then { 'column_name': 'result_date', 'reason': 'result_date is missing (required)' } end,
                        case when result_date_invalid then { 'column_name': 'result_date', 'reason': 'result_date ''' || result_date_text || ''' is not a date (expected YYYY-MM-DD)' } end,
                        case when value_num_invalid then { 'column_name': 'value_num', 'reason': 'value_num ''' || value_num_text || ''' is not a number (expected digits with ''.'' as decimal point)' } end,
                        case when value_missing then { 'column_name': 'value_num', 'reason': 'value_num and value_text are both missing (one is required)' } end,
                        case when ref_low_invalid then { 'column_name': 'ref_low', 'reason': 'ref_low ''' || ref_low_text || ''' is not a number (expected digits with ''.'' as decimal point)' } end,
                        case when ref_high_invalid then { 'column_name': 'ref_high', 'reason': 'ref_high ''' || ref_high_text || ''' is not a number (expected digits with ''.'' as decimal point)' } end
                    ],
                    lambda p: p is not null
                )
            else []
        end as _problems
    from checks
)

select * from final
