-- stg_diagnoses: one row per distinct diagnosis fact (patient, system, code, date).
-- Reads: raw_diagnoses, stg_retired_loads.
-- Codes are normalised for matching: ICD codes lose dots, spaces and case ('m32.14 ' ->
-- 'M3214'); value sets are normalised the same way. A fact delivered again in a later
-- file counts once (natural key: patient_id, code_system, code, diagnosis_date).
with normalised as (
    select
        patient_id,
        norm_code_system(code_system) as code_system,
        norm_code(code_system, code) as code,
        trim(code) as code_as_reported,
        diagnosis_date,
        source,
        _load_id,
        _line
    from raw_diagnoses
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

final as (
    select *
    from normalised
    qualify row_number() over (
        partition by patient_id, code_system, code, diagnosis_date
        order by _load_id desc, _line desc
    ) = 1
)

select * from final
