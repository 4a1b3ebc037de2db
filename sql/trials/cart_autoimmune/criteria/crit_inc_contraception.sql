-- crit_inc_contraception: one row per patient; inclusion inc_contraception.
-- Decided by a person: status manual.
-- Reads: stg_patients.
-- Agreement to contraception is given at screening; a positive pregnancy test is exc_pregnancy.
with final as (
    select
        patient_id,
        'inc_contraception' as criterion_id,
        'manual' as status,
        'to obtain at screening: agreement to effective contraception until one year after infusion'
            as evidence,
        cast(null as date) as evidence_date,
        -- decided by a person: time alone never changes it
        cast(null as date) as changes_on
    from stg_patients
)

select * from final
