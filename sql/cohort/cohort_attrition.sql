-- cohort_attrition: one row per patient: the funnel step at which the patient leaves.
-- Reads: stg_patients, criteria_results, criteria_manifest, as_of().
-- failed_at is -1 for a patient deceased on or before the as-of date, else the manifest
-- ordinal of the first inclusion not_met or exclusion met, else null (never fails: the
-- patient is eligible or potential). cohort_funnel and cohort_funnel_by_group count it.
with failures as (
    select
        r.patient_id,
        min(m.ordinal) filter (
            where
            (r.kind = 'inclusion' and r.status = 'not_met')
            or (r.kind = 'exclusion' and r.status = 'met')
        ) as first_failed_ordinal
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    group by r.patient_id
),

final as (
    select
        p.patient_id,
        p.site_id,
        case
            when p.death_date <= as_of() then -1
            else f.first_failed_ordinal
        end as failed_at
    from stg_patients as p
    inner join failures as f on p.patient_id = f.patient_id
)

select * from final
