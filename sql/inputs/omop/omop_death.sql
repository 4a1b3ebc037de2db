-- omop_death: OMOP CDM DEATH rows as contract patients rows (text, checked after).
-- Grain: one row per DEATH row of `_incoming` (text columns and `_line`).
-- Reads: _incoming, omop_person_patients (PERSON mapped by omop_person.sql).
-- A DEATH row is its person's patients row (sex, birth and site from PERSON, the death
-- date from DEATH), so a DEATH table delivered on its own still updates the patient:
-- staging keeps the latest delivered patients row. A DEATH row whose person_id is not in
-- PERSON is quarantined. cause_* fields are not read (no criterion uses a cause).
with final as (
    select
        d._line,
        p.patient_id,
        p.sex,
        p.birth_date,
        p.birth_year,
        p.site_id,
        p.death_date,
        case
            when p.patient_id is null
                then
                    'person_id ' || coalesce('''' || trim(d.person_id) || '''', '(empty)')
                    || ' of DEATH is not in PERSON (expected the person''s PERSON row in the same CDM)'
        end as _why
    from _incoming as d
    left join omop_person_patients as p on trim(d.person_id) = p.patient_id
)

select * from final
