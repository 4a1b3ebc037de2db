-- cohort_funnel: one row per attrition step: all patients, deceased, then each
-- criterion in manifest order.
-- Reads: cohort_eligibility, criteria_results, criteria_manifest, stg_patients, as_of().
-- A patient leaves the funnel at the first step that fails them (deceased first, then
-- the first inclusion not_met or exclusion met in manifest order). `unknown` counts the
-- patients still remaining after a step whose status on it is unknown.
with first_failure as (
    select
        p.patient_id,
        case
            when p.death_date <= as_of() then -1
            else min(m.ordinal) filter (
                where
                (r.kind = 'inclusion' and r.status = 'not_met')
                or (r.kind = 'exclusion' and r.status = 'met')
            )
        end as failed_at
    from stg_patients as p
    inner join criteria_results as r on p.patient_id = r.patient_id
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    group by p.patient_id, p.death_date
),

steps as (
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
        count(*) filter (where f.failed_at is null or f.failed_at > s.ordinal) as remaining,
        count(*) filter (where f.failed_at = s.ordinal) as removed,
        count(*) filter (
            where (f.failed_at is null or f.failed_at > s.ordinal) and r.status = 'unknown'
        ) as unknown
    from steps as s
    cross join first_failure as f
    left join criteria_results as r
        on f.patient_id = r.patient_id and s.step = r.criterion_id
    group by s.ordinal, s.step, s.kind
    order by s.ordinal
)

select * from final
