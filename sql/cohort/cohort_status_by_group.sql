-- cohort_status_by_group: one row per reporting group x eligibility status, with the
-- number of patients (zero rows included, so every group lists every status; the
-- 'overall' group is there even when the trial has no patient).
-- Reads: cohort_decisions, cohort_patient_groups (each once).
with statuses as (
    select unnest(['eligible', 'potential', 'ineligible']) as status
),

members as (
    select
        g.grouping,
        g.group_value,
        e.status
    from cohort_patient_groups as g
    left join cohort_decisions as e on g.patient_id = e.patient_id
),

groups as (
    select distinct
        grouping,
        group_value
    from members
    union
    select
        'overall' as grouping,
        'all' as group_value
),

counted as (
    select
        grouping,
        group_value,
        status,
        count(*) as patients
    from members
    where status is not null
    group by grouping, group_value, status
),

final as (
    select
        g.grouping,
        g.group_value,
        s.status,
        coalesce(c.patients, 0) as patients
    from groups as g
    cross join statuses as s
    left join counted as c
        on g.grouping = c.grouping and g.group_value = c.group_value and s.status = c.status
    order by g.grouping, g.group_value, s.status
)

select * from final
