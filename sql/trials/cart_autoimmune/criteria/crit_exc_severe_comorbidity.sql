-- crit_exc_severe_comorbidity: one row per patient; exclusion exc_severe_comorbidity.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- Investigator judgement on severe heart, liver, lung, blood or endocrine disease.
with final as (
    select
        patient_id,
        'exc_severe_comorbidity' as criterion_id,
        'manual' as status,
        'investigator judgement: severe heart, liver, lung, blood or endocrine disease' as evidence,
        cast(null as date) as evidence_date
    from stg_patients
)

select * from final
