-- crit_exc_other_trial: one row per patient; exclusion exc_other_trial.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- Participation in another interventional trial is not in the extracts; the protocol
-- leaves it to the investigator's judgement.
with final as (
    select
        patient_id,
        'exc_other_trial' as criterion_id,
        'manual' as status,
        'to verify at screening: another interventional trial within 30 days (investigator judgement)'
            as evidence,
        cast(null as date) as evidence_date,
        -- decided by a person: time alone never changes it
        cast(null as date) as changes_on
    from stg_patients
)

select * from final
