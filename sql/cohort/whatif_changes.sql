-- whatif_changes: one row per patient whose candidacy differs between the what-if
-- evaluation and the baseline saved before it.
-- Reads: whatif_baseline (patient_id, site_id, status), whatif_baseline_criteria
-- (patient_id, criterion_id, status of every criterion the what-if re-evaluates),
-- whatif_status (patient_id, status after the what-if), criteria_results,
-- criteria_manifest. pipelines/whatif.py creates the whatif_* tables inside a
-- transaction it rolls back.
-- Same vocabulary as cohort_changes: new_candidate, dropped_candidate, status_changed
-- (eligible <-> potential); changed_criteria lists "criterion: baseline -> what-if"
-- (only re-evaluated criteria can change: the others keep their rows).
with joined as (
    select
        b.patient_id,
        b.site_id,
        b.status as baseline_status,
        w.status as whatif_status,
        b.status in ('eligible', 'potential') as was_candidate,
        w.status in ('eligible', 'potential') as is_candidate
    from whatif_status as w
    inner join whatif_baseline as b on w.patient_id = b.patient_id
    where w.status != b.status
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

criteria_diff as (
    select
        b.patient_id,
        string_agg(
            b.criterion_id || ': ' || b.status || ' -> ' || r.status,
            '; ' order by m.ordinal
        ) as changed_criteria
    from whatif_baseline_criteria as b
    inner join changed as g on b.patient_id = g.patient_id
    inner join criteria_results as r
        on b.patient_id = r.patient_id and b.criterion_id = r.criterion_id
    inner join criteria_manifest as m on b.criterion_id = m.criterion_id
    where r.status != b.status
    group by b.patient_id
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
