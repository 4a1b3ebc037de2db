-- screening_patient_state: one row per patient of the trial's screening pool (each
-- candidate of this evaluation, eligible or potential; each patient a previous run of
-- the trial that succeeded listed as a candidate, on an as-of date up to this one: once
-- identified, a patient stays in the pool; and each patient with a screening event
-- decided on or before the as-of date): the screening state now, how far the patient
-- got, what changed since the last decision and what to do today (`action`).
-- Reads: screening_events, screening_states, screening_criterion_decisions,
-- criteria_results, criteria_manifest, cohort_decisions, patient_status_history, runs,
-- stg_patients, run_context.
-- state: the latest state event (decided_on, then event_id), else to_review; a patient
-- who died on or before the as-of date in an open state is 'deceased' (death closes
-- any open state; a closed one stays). furthest_level: the highest level of the states
-- recorded (0 to_review, 1 reviewed / screen_failed, 2 contacted / declined,
-- 3 consented / withdrawn, 4 enrolled; deferred keeps the level reached).
-- changed_since_decision: computed statuses (the data's, decisions aside) that differ
-- from those recorded with the latest state event, and criterion decisions that lapsed
-- since (not yet seen by a later state event with the new evidence).
-- action: re_review (something changed since the decision; a closed state only when the
-- patient is a candidate again), deferred_returning (deferred until a date reached),
-- review (a candidate never reviewed), follow_up (an open state: reviewed, contacted,
-- consented), null (not on today's worklist: closed, deferred, deceased, or not a
-- candidate and never decided).
with context as (
    select
        as_of,
        trial_id
    from run_context
),

events as (
    select e.*
    from screening_events as e
    inner join context as c on e.trial_id = c.trial_id
    where e.decided_on <= c.as_of
),

state_events as (
    select
        e.*,
        s.level
    from events as e
    inner join screening_states as s on e.state = s.state
),

latest_state as (
    select * from state_events
    qualify row_number() over (partition by patient_id order by decided_on desc, event_id desc) = 1
),

furthest as (
    select
        patient_id,
        coalesce(max(level), 0) as furthest_level
    from state_events
    group by patient_id
),

snapshot as (
    select
        patient_id,
        decided_on,
        unnest(criteria_snapshot) as item
    from latest_state
),

status_changes as (
    select
        s.patient_id,
        string_agg(
            s.item.criterion_id || ': ' || s.item.status || ' -> ' || r.computed_status,
            '; ' order by m.ordinal
        ) as changed
    from snapshot as s
    inner join criteria_results as r
        on s.patient_id = r.patient_id and s.item.criterion_id = r.criterion_id
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    where s.item.status != r.computed_status
    group by s.patient_id
),

lapses as (
    select
        d.patient_id,
        string_agg(
            d.criterion_id || ': decision ' || d.decision || ' by ' || d.decided_by || ' on '
            || strftime(d.decided_on, '%Y-%m-%d') || ' lapsed (the evidence changed)',
            '; ' order by m.ordinal
        ) as lapsed
    from screening_criterion_decisions as d
    inner join criteria_manifest as m on d.criterion_id = m.criterion_id
    inner join criteria_results as r
        on d.patient_id = r.patient_id and d.criterion_id = r.criterion_id
    left join snapshot as s
        on
            d.patient_id = s.patient_id and d.criterion_id = s.item.criterion_id
            and d.decided_on <= s.decided_on
    -- a later state event recorded with the new evidence has seen the change
    where d.lapsed and s.item.fingerprint is distinct from r.evidence_fingerprint
    group by d.patient_id
),

identified_before as (
    -- candidates of earlier runs: patient_status_history holds a row whenever a patient's
    -- status changed, so a patient who was ever a candidate has one with that status
    select h.patient_id
    from patient_status_history as h
    inner join runs as r on h.run_id = r.run_id
    inner join context as c on h.trial_id = c.trial_id
    where
        r.status = 'succeeded'
        and h.as_of <= c.as_of
        and h.status in ('eligible', 'potential')
),

pool as (
    select patient_id from cohort_decisions
    where status in ('eligible', 'potential')
    union
    select patient_id from identified_before
    union
    select patient_id from events
),

joined as (
    select
        o.patient_id,
        p.site_id,
        d.status as eligibility,
        d.status in ('eligible', 'potential') and not coalesce(p.death_date <= c.as_of, false)
            as is_candidate,
        coalesce(p.death_date <= c.as_of, false) as deceased,
        coalesce(l.state, 'to_review') as recorded_state,
        coalesce(s.closed, false) as closed,
        l.reason as state_reason,
        l.decided_by as state_by,
        l.decided_on as state_on,
        l.valid_until as state_until,
        coalesce(f.furthest_level, 0) as furthest_level,
        nullif(concat_ws(
            '; ',
            'since ' || strftime(l.decided_on, '%Y-%m-%d') || ': ' || sc.changed,
            lp.lapsed
        ), '') as changed_since_decision,
        c.as_of
    from pool as o
    inner join stg_patients as p on o.patient_id = p.patient_id
    left join cohort_decisions as d on o.patient_id = d.patient_id
    left join latest_state as l on o.patient_id = l.patient_id
    left join screening_states as s on l.state = s.state
    left join furthest as f on o.patient_id = f.patient_id
    left join status_changes as sc on o.patient_id = sc.patient_id
    left join lapses as lp on o.patient_id = lp.patient_id
    cross join context as c
),

final as (
    select
        patient_id,
        site_id,
        eligibility,
        is_candidate,
        case when deceased and not closed then 'deceased' else recorded_state end as state,
        closed or deceased as closed,
        state_reason,
        state_by,
        state_on,
        state_until,
        furthest_level,
        changed_since_decision,
        case
            when deceased and not closed then null
            when recorded_state = 'deferred' and state_until <= as_of then 'deferred_returning'
            when recorded_state = 'deferred' then null
            when closed
                then case when is_candidate and changed_since_decision is not null then 're_review' end
            when changed_since_decision is not null then 're_review'
            when recorded_state = 'to_review' then case when is_candidate then 'review' end
            else 'follow_up'
        end as action
    from joined
)

select * from final
