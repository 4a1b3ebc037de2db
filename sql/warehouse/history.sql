-- Per-patient status history, stored as changes: a row when a patient's status, site or
-- a criterion's status differs from what the trial's previous successful run recorded
-- (the full state of that patient, as the run saw it), so the table grows with changes,
-- not with runs x patients. Written by the export stage (pipelines/exports/write.py,
-- rows of the trial's view cohort_status_delta); the previous run's statuses are rebuilt
-- from it by the trial's view cohort_previous_status (read by cohort_changes).
-- status null: the patient left the trial's results in that run.
-- Rows of a run that did not succeed stay, but are never read.

create table if not exists patient_status_history (
    run_id varchar not null,
    trial_id varchar not null,
    as_of date not null,
    patient_id varchar not null,
    site_id varchar,
    status varchar,
    criteria struct(criterion_id varchar, status varchar)[],
    recorded_at timestamp not null default current_timestamp
);

-- One row per run x trial that recorded its statuses (even with no change): the runs
-- cohort_previous_status may read. full_snapshot: the run's rows hold every patient
-- (runs recorded before change rows, see migrate_status_history.sql), so no earlier row
-- is needed to rebuild its statuses.
create table if not exists patient_status_runs (
    run_id varchar not null,
    trial_id varchar not null,
    as_of date not null,
    patients bigint not null,
    changed bigint not null,
    full_snapshot boolean not null,
    recorded_at timestamp not null default current_timestamp
);
