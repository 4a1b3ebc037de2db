-- cohort_funnel_by_group: one row per reporting group x attrition step (the funnel of
-- cohort_funnel, computed for every group of cohort_patient_groups).
-- Reads: cohort_attrition, cohort_patient_groups, criteria_results, criteria_manifest.
-- Same columns and rules as cohort_funnel, plus grouping and group_value; the 'overall'
-- group equals cohort_funnel. Every group has every step, with zeros where nobody is.
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

final as (
    select
        g.grouping,
        g.group_value,
        s.ordinal + 2 as step_number,
        s.step,
        s.kind,
        count(*) filter (where g.failed_at is null or g.failed_at > s.ordinal) as remaining,
        count(*) filter (where g.failed_at = s.ordinal) as removed,
        count(*) filter (
            where (g.failed_at is null or g.failed_at > s.ordinal) and r.status = 'unknown'
        ) as unknown
    from steps as s
    cross join members as g
    left join criteria_results as r
        on g.patient_id = r.patient_id and s.step = r.criterion_id
    group by g.grouping, g.group_value, s.ordinal, s.step, s.kind
    order by g.grouping, g.group_value, s.ordinal
)

select * from final
