-- screening_worklist: one row per patient to act on today (a screening_patient_state row
-- with an action), in the order to work them: re_review, deferred_returning, review,
-- follow_up; within each, eligible before potential before ineligible, fewer open
-- criteria, the most recent evidence, patient_id.
-- Reads: screening_patient_state, cohort_eligibility, criteria_results, criteria_manifest.
-- open_criteria: inclusions not met or unknown, exclusions met or unknown and manual
-- items, after the coordinators' decisions; evidence: their evidence sentences;
-- decided_criteria: the criteria a coordinator's decision settles, with its origin.
with todo as (
    select * from screening_patient_state
    where action is not null
),

items as (
    select
        r.patient_id,
        m.ordinal,
        r.criterion_id,
        r.evidence,
        r.status_source,
        r.status = 'manual'
        or r.status = 'unknown'
        or (r.kind = 'inclusion' and r.status = 'not_met')
        or (r.kind = 'exclusion' and r.status = 'met') as is_open
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    where r.patient_id in (select t.patient_id from todo as t)
),

per_patient as (
    select
        patient_id,
        string_agg(criterion_id, ', ' order by ordinal) filter (where is_open) as open_criteria,
        string_agg(criterion_id || ': ' || evidence, '; ' order by ordinal) filter (where is_open)
            as evidence,
        string_agg(evidence, '; ' order by ordinal) filter (where status_source = 'decision')
            as decided_criteria
    from items
    group by patient_id
),

final as (
    select
        row_number() over (
            order by
                list_position(['re_review', 'deferred_returning', 'review', 'follow_up'], t.action),
                list_position(['eligible', 'potential', 'ineligible'], t.eligibility),
                e.n_open asc,
                e.latest_evidence_date desc nulls last,
                t.patient_id asc
        ) as position,
        t.action,
        t.patient_id,
        t.site_id,
        t.eligibility as status,
        e.score,
        t.state,
        t.state_reason,
        t.state_on,
        t.state_until,
        coalesce(t.changed_since_decision, '') as changed_since_decision,
        coalesce(p.open_criteria, '') as open_criteria,
        coalesce(p.decided_criteria, '') as decided_criteria,
        coalesce(p.evidence, '') as evidence
    from todo as t
    inner join cohort_eligibility as e on t.patient_id = e.patient_id
    left join per_patient as p on t.patient_id = p.patient_id
    order by position
)

select * from final
