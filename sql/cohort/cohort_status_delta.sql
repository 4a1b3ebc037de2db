-- cohort_status_delta: the rows this run adds to patient_status_history: one per patient
-- whose status, site or any criterion status differs from the previous successful run's
-- (a patient new to the trial included), holding the patient's state in this run; and
-- one with no status per patient of the previous run no longer in this one.
-- Reads: cohort_patient_status, cohort_previous_status, run_context.
-- Unchanged patients add nothing: the table grows with changes, not runs x patients.
with joined as (
    select
        c.patient_id as current_patient,
        p.patient_id as previous_patient,
        coalesce(c.patient_id, p.patient_id) as patient_id,
        coalesce(c.site_id, p.site_id) as site_id,
        c.status,
        c.criteria,
        p.status as previous_status,
        p.site_id as previous_site_id,
        p.criteria as previous_criteria
    from cohort_patient_status as c
    full outer join cohort_previous_status as p on c.patient_id = p.patient_id
),

final as (
    select
        rc.trial_id,
        rc.as_of,
        j.patient_id,
        j.site_id,
        j.status,
        j.criteria
    from joined as j
    cross join run_context as rc
    where
        j.current_patient is null
        or j.previous_patient is null
        or j.status is distinct from j.previous_status
        or j.site_id is distinct from j.previous_site_id
        or j.criteria is distinct from j.previous_criteria
)

select * from final
