-- screening_criterion_decisions: one row per patient x criterion of the trial that a
-- coordinator decided: the latest decision taken on or before the as-of date, and
-- whether it applies in this evaluation.
-- Reads: screening_events, criteria_results (the data's status, evidence and evidence
-- fingerprint, before any decision is applied), run_context.
-- The latest decision wins (decided_on, then event_id): a correction is a new event.
-- A decision does not apply when it expired (valid_until on or before the as-of date) or
-- lapsed: it was taken on a computed criterion (the data's status then was not manual)
-- and the data's evidence fingerprint differs from the one recorded with it (a new or
-- corrected record). A manual criterion's evidence never changes: its decisions never
-- lapse. pipelines/criteria/evaluate.py applies the rows that apply.
with context as (
    select
        as_of,
        trial_id
    from run_context
),

latest as (
    select e.*
    from screening_events as e
    inner join context as c on e.trial_id = c.trial_id
    where e.criterion_id is not null and e.decided_on <= c.as_of
    qualify row_number() over (
        partition by e.patient_id, e.criterion_id order by e.decided_on desc, e.event_id desc
    ) = 1
),

joined as (
    select
        l.patient_id,
        l.criterion_id,
        l.decision,
        l.reason,
        l.decided_by,
        l.decided_on,
        l.valid_until,
        l.computed_status as status_then,
        r.computed_status as status_now,
        r.evidence as data_evidence,
        coalesce(l.valid_until <= c.as_of, false) as expired,
        (
            l.computed_status != 'manual'
            and r.evidence_fingerprint is distinct from l.evidence_fingerprint
        ) as lapsed,
        ' (by ' || l.decided_by || ' on ' || strftime(l.decided_on, '%Y-%m-%d') || ': '
        || l.reason || ')' as origin
    from latest as l
    inner join criteria_results as r
        on l.patient_id = r.patient_id and l.criterion_id = r.criterion_id
    cross join context as c
),

final as (
    select
        patient_id,
        criterion_id,
        decision,
        reason,
        decided_by,
        decided_on,
        valid_until,
        status_then,
        status_now,
        expired,
        lapsed,
        not expired and not lapsed as applies,
        criterion_id || ' ' || decision || origin
        || case when status_then = 'manual' then '' else '; data: ' || data_evidence end
            as decided_evidence,
        data_evidence || ' [decision ' || decision || origin
        || case when lapsed then ' lapsed: the evidence changed' else ' expired' end
        || ']' as data_evidence_noted
    from joined
)

select * from final
