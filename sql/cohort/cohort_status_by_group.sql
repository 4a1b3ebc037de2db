-- cohort_status_by_group: one row per reporting group x eligibility status, with the
-- number of patients (zero rows included, so every group lists every status).
-- Reads: cohort_eligibility, cohort_patient_groups.
with statuses as (
    select unnest(['eligible', 'potential', 'ineligible']) as status
),

groups as (
    select distinct
        grouping,
        group_value
    from cohort_patient_groups
),

counted as (
    select
        g.grouping,
        g.group_value,
        e.status,
        count(*) as patients
    from cohort_patient_groups as g
    inner join cohort_eligibility as e on g.patient_id = e.patient_id
    group by g.grouping, g.group_value, e.status
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
