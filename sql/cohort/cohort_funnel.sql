-- cohort_funnel: one row per attrition step: all patients, deceased, then each
-- criterion in manifest order.
-- Reads: cohort_attrition, criteria_results, criteria_manifest.
-- A patient leaves the funnel at the first step that fails them (deceased first, then
-- the first inclusion not_met or exclusion met in manifest order; see cohort_attrition).
-- `unknown` counts the patients still remaining after a step whose status on it is
-- unknown. cohort_funnel_by_group gives the same funnel per site and per disease.
with steps as (
    select
        -2 as ordinal,
        'all_patients' as step,
        '' as kind
    union all
    select
        -1 as ordinal,
        'deceased' as step,
        '' as kind
    union all
    select
        ordinal,
        criterion_id as step,
        kind
    from criteria_manifest
),

final as (
    select
        s.ordinal + 2 as step_number,
        s.step,
        s.kind,
        count(*) filter (where a.failed_at is null or a.failed_at > s.ordinal) as remaining,
        count(*) filter (where a.failed_at = s.ordinal) as removed,
        count(*) filter (
            where (a.failed_at is null or a.failed_at > s.ordinal) and r.status = 'unknown'
        ) as unknown
    from steps as s
    cross join cohort_attrition as a
    left join criteria_results as r
        on a.patient_id = r.patient_id and s.step = r.criterion_id
    group by s.ordinal, s.step, s.kind
    order by s.ordinal
)

select * from final
