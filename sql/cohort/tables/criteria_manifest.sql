-- criteria_manifest (one per trial schema): one row per criterion of trial.toml, in its
-- order (ordinal): kind (inclusion, exclusion, manual), ranking weight, protocol wording.
create or replace table criteria_manifest (
    criterion_id varchar,
    kind varchar,
    ordinal integer,
    weight double,
    wording varchar
)
