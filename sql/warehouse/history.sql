-- Per-patient status history: one row per run x trial x patient, written by the export
-- stage of every run (pipelines/exports/write.py) and read by each trial's cohort_changes view
-- (changes.csv) for the previous run of the trial that ended 'succeeded' in `runs`.
-- Rows of a run that did not succeed stay, but are never read as "previous".

create table if not exists patient_status_history (
    run_id varchar not null,
    trial_id varchar not null,
    as_of date not null,
    patient_id varchar not null,
    site_id varchar,
    status varchar not null,
    criteria struct(criterion_id varchar, status varchar)[] not null,
    recorded_at timestamp not null default current_timestamp
);
