-- cohort_previous_status: one row per patient of the trial's previous successful run
-- (cohort_previous_run): its status, site and criteria statuses, rebuilt from the change
-- rows of patient_status_history.
-- Reads: cohort_previous_run, patient_status_runs, runs, patient_status_history,
-- run_context.
-- A patient's state is its latest row among the runs that ended 'succeeded' and recorded
-- the trial's statuses, from the latest full snapshot on (`since`); a run that did not
-- succeed is never read. A latest row with no status means the patient had left.
-- No previous run: no rows.
with recorded as (
    select
        s.run_id,
        r.started_at
    from patient_status_runs as s
    inner join runs as r on s.run_id = r.run_id
    cross join cohort_previous_run as p
    where
        r.status = 'succeeded'
        and s.trial_id = (select rc.trial_id from run_context as rc)
        and r.started_at >= p.since
),

latest as (
    select
        h.patient_id,
        h.site_id,
        h.status,
        h.criteria
    from patient_status_history as h
    inner join recorded as d on h.run_id = d.run_id
    where h.trial_id = (select rc.trial_id from run_context as rc)
    qualify row_number() over (
        partition by h.patient_id order by d.started_at desc, d.run_id desc
    ) = 1
),

final as (
    select
        l.patient_id,
        l.site_id,
        l.status,
        l.criteria
    from latest as l
    where l.status is not null
)

select * from final
