-- crit_inc_apheresis: one row per patient; inclusion inc_apheresis.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- No extract records venous access or contraindications to cell collection.
with final as (
    select
        patient_id,
        'inc_apheresis' as criterion_id,
        'manual' as status,
        'to assess at screening: venous access and contraindications for cell collection' as evidence,
        cast(null as date) as evidence_date,
        -- decided by a person: time alone never changes it
        cast(null as date) as changes_on
    from stg_patients
)

select * from final
