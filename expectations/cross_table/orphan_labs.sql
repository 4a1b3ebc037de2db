-- orphan_labs: labs rows whose patient_id has no row in raw_patients.
-- Grain: one row per offending raw_labs row (its load and line).
-- Reads: raw_labs, raw_patients (every drop so far: a patient delivered earlier counts).
-- A missing patient_id is a completeness fault (raw suite), not an orphan.
with patients as (
    select distinct patient_id
    from raw_patients
),

final as (
    select
        r._load_id,
        r._line
    from raw_labs as r
    left join patients as p on r.patient_id = p.patient_id
    where r.patient_id is not null and p.patient_id is null
    order by r._load_id, r._line
)

select * from final
