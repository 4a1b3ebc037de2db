-- orphan_procedures: staged procedures rows whose patient_id has no staged patient.
-- Grain: one row per offending stg_procedures row (its load and line).
-- Reads: stg_procedures, stg_patients (every drop so far, without loads retired by a full
-- refresh: a patient delivered earlier counts).
-- Such a patient is in no cohort (no age, sex or site), so these rows are never used.
with final as (
    select
        r._load_id,
        r._line
    from stg_procedures as r
    left join stg_patients as p on r.patient_id = p.patient_id
    where p.patient_id is null
    order by r._load_id, r._line
)

select * from final
