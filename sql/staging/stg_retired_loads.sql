-- stg_retired_loads: one row per loaded file whose rows a later full refresh retired.
-- Reads: load_ledger, full_refreshes.
-- A scan declared a full refresh delivers the whole current content of every kind it has
-- a file for. For such a kind, the files loaded before its latest refresh are retired,
-- except those the refresh delivered again (a file skipped as already loaded, same
-- sha256, is part of the refresh). Retired rows stay in raw_* for audit; every stg_*
-- table leaves them out. A kind with no file in the refresh is not touched, and a
-- delta loaded after the refresh counts as usual.
with refresh_files as (
    select
        l.kind,
        l.run_id,
        l.load_id,
        l.sha256
    from load_ledger as l
    inner join full_refreshes as f on l.run_id = f.run_id
    where l.status in ('loaded', 'skipped')
),

latest_refresh as (
    -- window: per kind, the refresh whose first file came last (load ids only grow)
    select
        kind,
        run_id,
        min(load_id) as first_load_id
    from refresh_files
    group by kind, run_id
    qualify row_number() over (partition by kind order by min(load_id) desc) = 1
),

final as (
    select
        l.load_id,
        l.kind,
        l.file_name,
        r.run_id as retired_by_run
    from load_ledger as l
    inner join latest_refresh as r on l.kind = r.kind
    where
        l.status = 'loaded'
        and l.load_id < r.first_load_id
        and not exists (
            select 1
            from refresh_files as f
            where f.run_id = r.run_id and f.kind = l.kind and f.sha256 = l.sha256
        )
)

select * from final
