-- cohort_funnel: one row per attrition step: all patients, deceased, then each
-- criterion in manifest order.
-- Reads: cohort_attrition, criteria_results, criteria_manifest.
-- A patient leaves the funnel at the first step that fails them (deceased first, then
-- the first inclusion not_met or exclusion met in manifest order; see cohort_attrition).
-- `unknown` counts the patients still remaining after a step whose status on it is
-- unknown. cohort_funnel_by_group gives the same funnel per site and per disease.
-- Computed from the patients removed at each step (remaining = all - removed so far)
-- and the unknown results of the remaining patients, never patients x steps.
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

attrition as (
    select * from cohort_attrition
),

removed as (
    select
        failed_at as ordinal,
        count(*) as removed
    from attrition
    where failed_at is not null
    group by failed_at
),

unknown as (
    select
        m.ordinal,
        count(*) as unknown
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    inner join attrition as a on r.patient_id = a.patient_id
    where
        r.status = 'unknown'
        and (a.failed_at is null or a.failed_at > m.ordinal)
    group by m.ordinal
),

final as (
    select
        s.ordinal + 2 as step_number,
        s.step,
        s.kind,
        cast(
            (select count(*) from attrition)
            - coalesce(sum(rm.removed) over (order by s.ordinal), 0) as bigint
        ) as remaining,
        coalesce(rm.removed, 0) as removed,
        coalesce(u.unknown, 0) as unknown
    from steps as s
    left join removed as rm on s.ordinal = rm.ordinal
    left join unknown as u on s.ordinal = u.ordinal
    order by s.ordinal
)

select * from final
