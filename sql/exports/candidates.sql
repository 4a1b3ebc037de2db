-- candidates: one row per eligible or potential patient of the trial, best first (the
-- rows of candidates.csv and candidates.parquet).
-- Reads (in the trial's schema): cohort_ranking, criteria_results, criteria_manifest.
-- Columns: rank, patient_id, site_id, status, score, diseases, unmet_or_unknown, then
-- one column per criterion of the manifest, in its order, named after the criterion and
-- holding its status. The criteria come from criteria_manifest, so a trial with no
-- candidate still gets every column. `ranking` is read twice and so evaluated once
-- (DuckDB materialises a CTE referenced more than once); the statuses are grouped by
-- patient alone.
with ranking as (
    select * from cohort_ranking
),

statuses as (
    pivot (
        select
            r.patient_id,
            r.criterion_id,
            r.status
        from criteria_results as r
        where r.patient_id in (select rk.patient_id from ranking as rk)
    )
    on criterion_id in (
        select m.criterion_id from criteria_manifest as m
        order by m.ordinal
    )
    using first(status)
    group by patient_id
)

select
    k.rank,
    k.patient_id,
    k.site_id,
    k.status,
    k.score,
    k.diseases,
    k.unmet_or_unknown,
    s.* exclude (s.patient_id)
from ranking as k
inner join statuses as s on k.patient_id = s.patient_id
order by k.rank
