-- crit_exc_investigator: one row per patient; exclusion exc_investigator.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- Investigator judgement; no extract can decide it.
with final as (
    select
        patient_id,
        'exc_investigator' as criterion_id,
        'manual' as status,
        'investigator judgement at screening' as evidence,
        cast(null as date) as evidence_date,
        -- decided by a person: time alone never changes it
        cast(null as date) as changes_on
    from stg_patients
)

select * from final
