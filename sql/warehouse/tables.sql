-- Warehouse tables, created once (idempotent). Raw tables hold the rows of the contract
-- typed but not normalised, each with the load, file and line it came from.

create sequence if not exists load_id_seq start 1;

create table if not exists load_ledger (
    load_id bigint primary key,
    run_id varchar,
    file_name varchar not null,
    kind varchar,
    sha256 varchar not null,
    size_bytes bigint,
    status varchar not null,
    rows_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_quarantined bigint not null default 0,
    extra_columns varchar[],
    message varchar,
    loaded_at timestamp not null,
    seconds double
);

create table if not exists quarantine (
    load_id bigint not null,
    file_name varchar not null,
    kind varchar not null,
    line bigint,
    column_name varchar,
    reason varchar not null,
    raw_record json
);

create table if not exists raw_patients (
    patient_id varchar not null,
    sex varchar not null,
    birth_date date,
    birth_year integer,
    site_id varchar not null,
    death_date date,
    _load_id bigint not null,
    _line bigint not null
);

create table if not exists raw_diagnoses (
    patient_id varchar not null,
    code_system varchar not null,
    code varchar not null,
    diagnosis_date date not null,
    source varchar,
    _load_id bigint not null,
    _line bigint not null
);

create table if not exists raw_labs (
    patient_id varchar not null,
    code_system varchar not null,
    code varchar not null,
    result_date date not null,
    value_num double,
    value_text varchar,
    unit varchar,
    ref_low double,
    ref_high double,
    _load_id bigint not null,
    _line bigint not null
);

create table if not exists raw_medications (
    patient_id varchar not null,
    code_system varchar not null,
    code varchar not null,
    drug_name varchar,
    start_date date not null,
    end_date date,
    dose_value double,
    dose_unit varchar,
    frequency varchar,
    route varchar,
    _load_id bigint not null,
    _line bigint not null
);

-- Extract contract version 2 (optional kind): a drop without procedures leaves it empty.
create table if not exists raw_procedures (
    patient_id varchar not null,
    code_system varchar not null,
    code varchar not null,
    procedure_date date not null,
    _load_id bigint not null,
    _line bigint not null
);

create table if not exists runs (
    run_id varchar primary key,
    started_at timestamp not null,
    ended_at timestamp,
    trials varchar[],
    as_of date not null,
    extracts varchar,
    status varchar not null,
    message varchar,
    summary json
);

-- One row per scan declared a full refresh (`cohortscan scan --full-refresh`), written
-- once its ingest has finished without a refused file. stg_retired_loads reads it: for
-- each kind the refresh delivered, files loaded before it are retired (kept in raw_*,
-- left out of stg_*).
create table if not exists full_refreshes (
    run_id varchar primary key,
    declared_at timestamp not null
);

-- One row per data-quality check per run (pipelines/quality.py, expectations/), so
-- trends are queries: rows checked and failing for each check across runs.
-- element_count is NULL for a cross-table rule without a denominator table.
create table if not exists dq_results (
    run_id varchar not null,
    checked_at timestamp not null,
    stage varchar not null,
    table_name varchar not null,
    check_name varchar not null,
    expectation varchar not null,
    kind varchar not null,
    severity varchar not null,
    status varchar not null,
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent double,
    batches integer not null,
    first_location varchar,
    on_failure varchar not null
);
