-- cohort_patient_groups: one row per patient and reporting group the patient belongs to.
-- Reads: stg_patients, patient_diseases.
-- Groupings: 'overall' (group 'all', every patient), 'site' (the patient's site_id, one
-- per patient) and 'disease' (one row per trial disease of the patient, so a patient
-- with two diseases counts in both; 'none' when the patient has no trial disease).
-- Only 'overall' and 'site' partition the patients; disease groups may overlap.
with overall as (
    select
        patient_id,
        'overall' as grouping,
        'all' as group_value
    from stg_patients
),

sites as (
    select
        patient_id,
        'site' as grouping,
        site_id as group_value
    from stg_patients
),

diseases as (
    select
        p.patient_id,
        'disease' as grouping,
        coalesce(d.disease, 'none') as group_value
    from stg_patients as p
    left join patient_diseases as d on p.patient_id = d.patient_id
),

final as (
    select * from overall
    union all
    select * from sites
    union all
    select * from diseases
)

select * from final
