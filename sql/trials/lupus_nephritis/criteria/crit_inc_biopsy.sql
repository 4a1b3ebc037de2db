-- crit_inc_biopsy: one row per patient; inclusion inc_biopsy.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- The ISN/RPS class of a kidney biopsy is in the pathology report, which no extract
-- carries (the protocol says the classification is rarely coded, and no verified code
-- for it is in the shared code reference): the site reviews the report at screening.
with final as (
    select
        patient_id,
        'inc_biopsy' as criterion_id,
        'manual' as status,
        'to review at screening: kidney biopsy within 6 months before '
        || strftime(as_of(), '%Y-%m-%d') || ' showing ISN/RPS class III or IV (with or without V)'
            as evidence,
        cast(null as date) as evidence_date
    from stg_patients
)

select * from final
