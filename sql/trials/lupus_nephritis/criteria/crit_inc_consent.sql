-- crit_inc_consent: one row per patient; inclusion inc_consent.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- Written informed consent is signed at screening; no extract records it.
with final as (
    select
        patient_id,
        'inc_consent' as criterion_id,
        'manual' as status,
        'to obtain at screening: written informed consent' as evidence,
        cast(null as date) as evidence_date,
        -- decided by a person: time alone never changes it
        cast(null as date) as changes_on
    from stg_patients
)

select * from final
