-- cohort_potential_reasons: one row per reporting group x inclusion criterion: how many
-- `potential` patients have that inclusion unknown, i.e. which test to order.
-- Reads: cohort_decisions, criteria_results, criteria_manifest, cohort_patient_groups
-- (each view once).
-- n_unknown counts potential patients with the inclusion unknown (a patient with three
-- unknown inclusions counts under each); n_only_open counts those for whom it is the
-- only unknown inclusion, so one result could make them eligible.
with patient_groups as (
    select
        patient_id,
        grouping,
        group_value
    from cohort_patient_groups
),

potential as (
    select
        patient_id,
        n_inc_unknown
    from cohort_decisions
    where status = 'potential'
),

open_inclusions as (
    select
        r.patient_id,
        r.criterion_id,
        p.n_inc_unknown
    from criteria_results as r
    inner join potential as p on r.patient_id = p.patient_id
    where r.kind = 'inclusion' and r.status = 'unknown'
),

groups as (
    select distinct
        grouping,
        group_value
    from patient_groups
),

counted as (
    select
        g.grouping,
        g.group_value,
        o.criterion_id,
        count(*) as n_unknown,
        count(*) filter (where o.n_inc_unknown = 1) as n_only_open
    from open_inclusions as o
    inner join patient_groups as g on o.patient_id = g.patient_id
    group by g.grouping, g.group_value, o.criterion_id
),

final as (
    select
        g.grouping,
        g.group_value,
        m.criterion_id,
        m.ordinal,
        coalesce(c.n_unknown, 0) as n_unknown,
        coalesce(c.n_only_open, 0) as n_only_open
    from groups as g
    cross join criteria_manifest as m
    left join counted as c
        on
            g.grouping = c.grouping
            and g.group_value = c.group_value
            and m.criterion_id = c.criterion_id
    where m.kind = 'inclusion'
    order by g.grouping, g.group_value, m.ordinal
)

select * from final
