-- criteria_results (one per trial schema): one row per patient x criterion, filled from
-- the criterion views crit_<id> (pipelines/criteria/evaluate.py). status is the one the
-- cohort views read: the data's (computed_status) or a coordinator's decision
-- (status_source 'decision'); evidence says why; evidence_fingerprint identifies the
-- data's evidence a decision was taken on; changes_on is the first as-of date on which
-- time alone could change the result (NULL: only new data can), evidence_template the
-- evidence with the as-of date as a placeholder (incremental nights).
create or replace table criteria_results (
    patient_id varchar,
    criterion_id varchar,
    kind varchar,
    status varchar,
    evidence varchar,
    evidence_date date,
    status_source varchar,
    computed_status varchar,
    evidence_fingerprint varchar,
    changes_on date,
    evidence_template varchar
)
