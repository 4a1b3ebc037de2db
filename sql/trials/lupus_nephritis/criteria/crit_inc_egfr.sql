-- crit_inc_egfr: one row per patient; inclusion inc_egfr.
-- Reads: stg_patients, stg_labs (via latest_result: measure egfr), params.
-- The latest eGFR (any eGFR LOINC code of ref_measures, in mL/min/1.73m2) within
-- window_days before the as-of date (inclusive) must be >= egfr_min. Absent or too old
-- -> unknown; '>60' against 30 is met, '<60' stays unknown.
with limits as (
    select
        param('inc_egfr', 'egfr_min') as egfr_min,
        param('inc_egfr', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
egfr as (
    select * from latest_result('egfr', (select lim.window_days from limits as lim))
),

final as (
    select
        p.patient_id,
        'inc_egfr' as criterion_id,
        case cmp_ge(e.value, e.comparator, l.egfr_min)
            when true then 'met'
            when false then 'not_met'
            else 'unknown'
        end as status,
        case
            when e.result_date is null
                then missing_text('eGFR', l.window_days, e.newest_any_date)
            when e.unreadable is not null then e.unreadable
            else
                result_text('eGFR', e.comparator, e.value, e.unit, e.result_date)
                || case cmp_ge(e.value, e.comparator, l.egfr_min)
                    when true then ' >= '
                    when false then ' < '
                    else ' undecided vs '
                end || fmt_num(l.egfr_min) || ' mL/min/1.73m2'
        end as evidence,
        e.result_date as evidence_date,
        e.changes_on
    from stg_patients as p
    cross join limits as l
    left join egfr as e on p.patient_id = e.patient_id
)

select * from final
