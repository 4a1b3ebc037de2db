-- params (one per trial schema): one row per parameter of a criterion with its value for
-- this evaluation (trial.toml's default, or a what-if's); a number in value_num, a text
-- in value_text (macros param and param_text read it).
create or replace table params (
    criterion_id varchar,
    name varchar,
    value_num double,
    value_text varchar
)
