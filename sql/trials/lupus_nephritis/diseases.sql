-- patient_diseases: one row per patient and trial disease diagnosed on or before the
-- as-of date, with the first qualifying record: 'LN' (a lupus nephritis code) and 'SLE'
-- (any other SLE code). These fill the `diseases` column of candidates.csv and the
-- by-disease feasibility counts; inc_ln_diagnosis decides eligibility.
-- Reads: stg_diagnoses, valuesets (lupus_diagnoses; categories LN and SLE).
with matched as (
    select
        d.patient_id,
        v.category as disease,
        d.code_system,
        d.code_as_reported,
        d.diagnosis_date
    from stg_diagnoses as d
    inner join vs('lupus_diagnoses') as v
        on
            d.code_system = v.code_system
            and (d.code = v.code or (v.match = 'prefix' and starts_with(d.code, v.code)))
    where
        d.diagnosis_date <= as_of()
        and v.category in ('LN', 'SLE')
),

final as (
    select
        patient_id,
        disease,
        min(diagnosis_date) as first_date,
        max(diagnosis_date) as last_date,
        -- ties on the date: the smallest code, so the evidence never depends on row order
        arg_min(
            code_system || ' ' || code_as_reported,
            (diagnosis_date, code_system, code_as_reported)
        ) as first_code
    from matched
    group by patient_id, disease
)

select * from final
