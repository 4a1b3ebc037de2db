-- Incremental staging's bookkeeping (pipelines/staging/incremental.py).
--
-- staging_state: one row (at most) = the latest build of the stg_* tables: the run that
-- built them, how (full, or delta: only the patients of new loads re-staged) and why,
-- the fingerprint of the staging code and reference data it ran, the full refreshes it
-- saw, the highest load id staged, and the highest load id whose rows passed the
-- data-quality gate under that code (NULL until a gate passes after a full build). A
-- scan stages a delta only when the code and the full refreshes are those of this row
-- and a gate passed: it then re-stages and checks the loads after validated_through.

create table if not exists staging_state (
    run_id varchar,
    built_at timestamp not null,
    mode varchar not null,
    reason varchar not null,
    code_fingerprint varchar not null,
    refreshes varchar not null,
    staged_through bigint,
    validated_through bigint,
    patients bigint
);

-- staging_delta: one row per patient the latest staging build re-staged (a delta: the
-- patients with a raw row in a load after staging_state.validated_through; every row of
-- theirs in each stg_* table was deleted and staged again from all their raw rows).
-- Empty after a full build, when every patient was staged (staging_state.mode = 'full').

create table if not exists staging_delta (
    patient_id varchar primary key
);
