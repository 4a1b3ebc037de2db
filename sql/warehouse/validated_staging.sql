-- The last validated staging: one row (at most) = the fingerprint of the staged tables
-- that passed the data-quality gate, the run that built them, their row counts and
-- check results. A re-scan that loads nothing and finds the same fingerprint reuses
-- them instead of staging and validating again (pipelines/run/reuse.py); only the
-- latest is kept, since the staged tables are rebuilt in place.

create table if not exists validated_staging (
    fingerprint varchar not null,
    run_id varchar not null,
    recorded_at timestamp not null,
    staging_counts json not null,
    checks json not null
);
