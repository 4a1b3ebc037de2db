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

final as (
    select
        *,
        list_filter(
            [
                case when patient_id is null then { 'column_name': 'patient_id', 'reason': 'patient_id is missing (required)' } end,
                case when length(patient_id) > 64 then { 'column_name': 'patient_id', 'reason': 'patient_id is ' || length(patient_id) || ' characters long (expected at most 64)' } end,
                case when code_system is null then { 'column_name': 'code_system', 'reason': 'code_system is missing (required: RXNORM, ATC or CVX)' } end,
                case when norm_code_system(code_system) not in ('RXNORM', 'ATC', 'CVX') then { 'column_name': 'code_system', 'reason': 'code_system ''' || code_system || ''' is not a known code system (expected RXNORM, ATC or CVX)' } end,
                case when code is null then { 'column_name': 'code', 'reason': 'code is missing (required)' } end,
                case when start_date_text is null then { 'column_name': 'start_date', 'reason': 'start_date is missing (required)' } end,
                case when start_date_text is not null and start_date is null then { 'column_name': 'start_date', 'reason': 'start_date ''' || start_date_text || ''' is not a date (expected YYYY-MM-DD)' } end,
                case when end_date_text is not null and end_date is null then { 'column_name': 'end_date', 'reason': 'end_date ''' || end_date_text || ''' is not a date (expected YYYY-MM-DD)' } end,
                case when dose_value_text is not null and (dose_value is null or not isfinite(dose_value)) then { 'column_name': 'dose_value', 'reason': 'dose_value ''' || dose_value_text || ''' is not a number (expected digits with ''.'' as decimal point)' } end
            ],
            lambda p: p is not null
        ) as _problems
    from typed
)

select * from final
