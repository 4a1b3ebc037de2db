-- cohort_previous_run: at most one row: the trial's previous successful run that
-- recorded its statuses, and where rebuilding them starts.
-- Reads: runs, patient_status_runs, run_context.
-- The previous run is the latest run (by start time) that ended 'succeeded' in `runs` and
-- recorded this trial's statuses (patient_status_runs); the run being exported is still
-- 'running', so it is never its own previous run. since: the start of the latest
-- succeeded full snapshot (a run recorded before change rows), else -infinity: rows of
-- succeeded runs started since then rebuild the statuses. No such run: no row.
with recorded as (
    select
        s.run_id,
        s.full_snapshot,
        r.started_at
    from patient_status_runs as s
    inner join runs as r on s.run_id = r.run_id
    where
        r.status = 'succeeded'
        and s.trial_id = (select rc.trial_id from run_context as rc)
),

final as (
    select
        arg_max(run_id, started_at) as run_id,
        max(started_at) as started_at,
        coalesce(
            max(started_at) filter (where full_snapshot), '-infinity'::timestamp
        ) as since
    from recorded
    having count(*) > 0
)

select * from final
