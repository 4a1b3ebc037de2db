-- crit_exc_other_trial: one row per patient; exclusion exc_other_trial.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- Trial participation in the last three months is not in the extracts.
with final as (
    select
        patient_id,
        'exc_other_trial' as criterion_id,
        'manual' as status,
        'to verify at screening: participation in another clinical trial within 3 months' as evidence,
        cast(null as date) as evidence_date,
        -- decided by a person: time alone never changes it
        cast(null as date) as changes_on
    from stg_patients
)

select * from final
