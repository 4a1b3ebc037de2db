-- whatif_changes: one row per patient whose candidacy differs between the what-if
-- evaluation (cohort_patient_status) and the baseline saved before it (whatif_baseline,
-- a table pipelines/whatif.py creates inside a transaction it rolls back).
-- Reads: cohort_patient_status, whatif_baseline, criteria_manifest.
-- Same vocabulary as cohort_changes: new_candidate, dropped_candidate, status_changed
-- (eligible <-> potential); changed_criteria lists "criterion: baseline -> what-if".
with joined as (
    select
        c.patient_id,
        c.site_id,
        b.status as baseline_status,
        c.status as whatif_status,
        b.criteria as baseline_criteria,
        c.criteria,
        b.status in ('eligible', 'potential') as was_candidate,
        c.status in ('eligible', 'potential') as is_candidate
    from cohort_patient_status as c
    inner join whatif_baseline as b on c.patient_id = b.patient_id
    where c.status != b.status
),

changed as (
    select
        *,
        case
            when is_candidate and not was_candidate then 'new_candidate'
            when was_candidate and not is_candidate then 'dropped_candidate'
            else 'status_changed'
        end as change
    from joined
    where was_candidate or is_candidate
),

whatif_items as (
    select
        patient_id,
        unnest(criteria) as item
    from changed
),

baseline_items as (
    select
        patient_id,
        unnest(baseline_criteria) as item
    from changed
),

criteria_diff as (
    select
        w.patient_id,
        string_agg(
            w.item.criterion_id || ': ' || b.item.status || ' -> ' || w.item.status,
            '; ' order by m.ordinal
        ) as changed_criteria
    from whatif_items as w
    inner join baseline_items as b
        on w.patient_id = b.patient_id and w.item.criterion_id = b.item.criterion_id
    inner join criteria_manifest as m on w.item.criterion_id = m.criterion_id
    where w.item.status != b.item.status
    group by w.patient_id
),

final as (
    select
        g.patient_id,
        g.site_id,
        g.change,
        g.baseline_status,
        g.whatif_status,
        coalesce(d.changed_criteria, '') as changed_criteria
    from changed as g
    left join criteria_diff as d on g.patient_id = d.patient_id
    order by g.change, g.site_id, g.patient_id
)

select * from final
