-- cohort_changes: one row per patient whose candidacy changed since the previous run of
-- the trial that succeeded: new candidates, dropped candidates, eligible <-> potential.
-- Reads: cohort_decisions, cohort_previous_run, cohort_previous_status, criteria_results,
-- criteria_manifest.
-- "Previous" is the latest run (by start time) that ended 'succeeded' in `runs` and
-- recorded this trial's statuses; its statuses are rebuilt from the change rows of
-- patient_status_history by cohort_previous_status (the run being exported is still
-- 'running', so it is never its own previous run). No such run (the first run): no rows.
-- A candidate is an eligible or potential patient; a patient absent from one side has
-- no status there (new in the warehouse, or no longer in it). Ineligible to ineligible
-- is no change. This run's statuses are those of cohort_decisions; the criteria statuses
-- are read from criteria_results for the changed patients only.
with previous_run as (
    select run_id from cohort_previous_run
),

previous as (
    select * from cohort_previous_status
),

current_status as (
    select
        patient_id,
        site_id,
        status
    from cohort_decisions
),

joined as (
    select
        coalesce(c.patient_id, p.patient_id) as patient_id,
        coalesce(c.site_id, p.site_id) as site_id,
        p.status as previous_status,
        c.status,
        p.criteria as previous_criteria,
        coalesce(p.status in ('eligible', 'potential'), false) as was_candidate,
        coalesce(c.status in ('eligible', 'potential'), false) as is_candidate
    from current_status as c
    full outer join previous as p on c.patient_id = p.patient_id
    where exists (select 1 from previous_run)
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
    where
        (was_candidate or is_candidate)
        and previous_status is distinct from status
),

current_items as (
    select
        r.patient_id,
        r.criterion_id,
        r.status
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    where r.patient_id in (select c.patient_id from changed as c)
),

previous_items as (
    select
        patient_id,
        unnest(previous_criteria) as item
    from changed
),

criteria_diff as (
    select
        coalesce(n.patient_id, o.patient_id) as patient_id,
        string_agg(
            coalesce(n.criterion_id, o.item.criterion_id) || ': '
            || coalesce(o.item.status, 'none') || ' -> ' || coalesce(n.status, 'none'),
            '; ' order by m.ordinal nulls last
        ) as changed_criteria
    from current_items as n
    full outer join previous_items as o
        on n.patient_id = o.patient_id and n.criterion_id = o.item.criterion_id
    left join criteria_manifest as m
        on coalesce(n.criterion_id, o.item.criterion_id) = m.criterion_id
    where n.status is distinct from o.item.status
    group by coalesce(n.patient_id, o.patient_id)
),

final as (
    select
        g.patient_id,
        g.site_id,
        g.change,
        g.previous_status,
        g.status,
        case
            when g.previous_status is null then 'not in the previous run'
            when g.status is null then 'not in this run'
            else coalesce(d.changed_criteria, '')
        end as changed_criteria,
        (select p.run_id from previous_run as p) as previous_run_id
    from changed as g
    left join criteria_diff as d on g.patient_id = d.patient_id
    order by g.change, g.site_id, g.patient_id
)

select * from final
