-- cohort_patient_status: one row per patient: eligibility status and the status of every
-- criterion (a list in manifest order), as recorded in patient_status_history.
-- Reads: cohort_eligibility, criteria_results, criteria_manifest, run_context.
with criteria as (
    select
        r.patient_id,
        list(
            { 'criterion_id': r.criterion_id, 'status': r.status }
            order by m.ordinal
        ) as criteria
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    group by r.patient_id
),

final as (
    select
        rc.trial_id,
        rc.as_of,
        e.patient_id,
        e.site_id,
        e.status,
        c.criteria
    from cohort_eligibility as e
    inner join criteria as c on e.patient_id = c.patient_id
    cross join run_context as rc
)

select * from final
