-- cohort_funnel_by_group: one row per reporting group x attrition step (the funnel of
-- cohort_funnel, computed for every group of cohort_patient_groups).
-- Reads: cohort_attrition, cohort_patient_groups, criteria_results, criteria_manifest.
-- Same columns and rules as cohort_funnel, plus grouping and group_value; the 'overall'
-- group equals cohort_funnel. Every group has every step, with zeros where nobody is;
-- the 'overall' group is there even when the trial has no patient (all zeros).
-- Computed from the patients removed at each step (remaining = the group's patients -
-- removed so far) and the unknown results of the remaining patients, never groups x
-- patients x steps.
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

members as (
    select
        g.grouping,
        g.group_value,
        a.patient_id,
        a.failed_at
    from cohort_patient_groups as g
    inner join cohort_attrition as a on g.patient_id = a.patient_id
),

group_sizes as (
    select
        grouping,
        group_value,
        count(*) as patients
    from members
    group by grouping, group_value
    union all
    select
        'overall' as grouping,
        'all' as group_value,
        0 as patients
    where
        not exists (
            select 1 from members as m
            where m.grouping = 'overall'
        )
),

removed as (
    select
        grouping,
        group_value,
        failed_at as ordinal,
        count(*) as removed
    from members
    where failed_at is not null
    group by grouping, group_value, failed_at
),

unknown as (
    select
        g.grouping,
        g.group_value,
        m.ordinal,
        count(*) as unknown
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    inner join members as g on r.patient_id = g.patient_id
    where
        r.status = 'unknown'
        and (g.failed_at is null or g.failed_at > m.ordinal)
    group by g.grouping, g.group_value, m.ordinal
),

final as (
    select
        g.grouping,
        g.group_value,
        s.ordinal + 2 as step_number,
        s.step,
        s.kind,
        cast(
            g.patients - coalesce(
                sum(rm.removed) over (partition by g.grouping, g.group_value order by s.ordinal), 0
            ) as bigint
        ) as remaining,
        coalesce(rm.removed, 0) as removed,
        coalesce(u.unknown, 0) as unknown
    from group_sizes as g
    cross join steps as s
    left join removed as rm
        on g.grouping = rm.grouping and g.group_value = rm.group_value and s.ordinal = rm.ordinal
    left join unknown as u
        on g.grouping = u.grouping and g.group_value = u.group_value and s.ordinal = u.ordinal
    order by g.grouping, g.group_value, s.ordinal
)

select * from final
