-- Migration of a warehouse written before change rows (run once, when
-- patient_status_history.status is still declared not null): each run then stored a
-- full snapshot of every patient, so each such run is recorded in patient_status_runs
-- as a full snapshot, and status and criteria become nullable (a left patient's row).
alter table patient_status_history alter column status drop not null;
alter table patient_status_history alter column criteria drop not null;
insert into patient_status_runs (
    run_id, trial_id, as_of, patients, changed, full_snapshot, recorded_at
)
select
    h.run_id,
    h.trial_id,
    max(h.as_of) as as_of,
    count(*) as patients,
    count(*) as changed,
    true as full_snapshot,
    max(h.recorded_at) as recorded_at
from patient_status_history as h
where
    not exists (
        select 1 from patient_status_runs as s
        where s.run_id = h.run_id and s.trial_id = h.trial_id
    )
group by h.run_id, h.trial_id;
