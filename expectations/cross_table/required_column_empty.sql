-- required_column_empty: records of a file loaded in this run whose required column is
-- empty in every record of that file (a broken export rather than a few bad rows).
-- Grain: one row per quarantined record and required column that is empty file-wide.
-- Reads: load_ledger, quarantine (raw_record holds each record as delivered),
-- dq_contract_columns and getvariable('dq_run_id'), both set by pipelines/quality.py.
-- Such a file loads no row at all: every record is quarantined. Records the CSV reader
-- could not split have no raw_record and are left out.
with run_files as (
    select
        load_id,
        file_name,
        kind
    from load_ledger
    where
        run_id = getvariable('dq_run_id')
        and status = 'loaded'
        and rows_loaded = 0
),

cells as (
    select
        q.load_id,
        q.file_name,
        q.line,
        c.column_name,
        nullif(trim(q.raw_record ->> c.column_name), '') is null as is_empty
    from quarantine as q
    inner join run_files as f on q.load_id = f.load_id
    inner join dq_contract_columns as c on f.kind = c.kind
    where c.required and q.raw_record is not null
),

empty_everywhere as (
    select
        load_id,
        column_name
    from cells
    group by load_id, column_name
    having bool_and(is_empty)
),

final as (
    select
        c.file_name,
        c.line,
        c.column_name
    from cells as c
    inner join empty_everywhere as e
        on c.load_id = e.load_id and c.column_name = e.column_name
    order by c.file_name, c.line, c.column_name
)

select * from final
