-- cohort_patient_status: one row per patient of this run: eligibility status, site and
-- the status of every criterion (a list in manifest order), the state that
-- patient_status_history records when it differs from the previous successful run's.
-- Reads: cohort_decisions, criteria_results, criteria_manifest, run_context.
-- The list is sorted after it is gathered (list_sort on the manifest ordinal, the first
-- field), cheaper than an ordered aggregate.
with criteria as (
    select
        r.patient_id,
        list_transform(
            list_sort(
                list({
                    'ordinal': m.ordinal,
                    'criterion_id': r.criterion_id,
                    'status': r.status
                })
            ),
            lambda item: { 'criterion_id': item.criterion_id, 'status': item.status }  -- noqa: RF01
        ) as criteria
    from criteria_results as r
    inner join criteria_manifest as m on r.criterion_id = m.criterion_id
    group by r.patient_id
),

final as (
    select
        rc.trial_id,
        rc.as_of,
        d.patient_id,
        d.site_id,
        d.status,
        c.criteria
    from cohort_decisions as d
    inner join criteria as c on d.patient_id = c.patient_id
    cross join run_context as rc
)

select * from final
