-- crit_inc_cardiac: one row per patient; inclusion inc_cardiac.
-- Reads: stg_patients, stg_labs (via latest_result, measure lvef), params.
-- The latest LVEF (LOINC 10230-1, 18043-0, 8806-2, in %) within window_days before the
-- as-of date (inclusive) must be >= lvef_min. Absent or too old: unknown. The protocol's
-- "no significant abnormalities observed on electrocardiogram" is not in any extract:
-- the status comes from LVEF alone and the evidence always says the ECG is to review at
-- screening.
with limits as (
    select
        param('inc_cardiac', 'lvef_min') as lvef_min,
        param('inc_cardiac', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
lvef as (
    select * from latest_result('lvef', (select lim.window_days from limits as lim))
),

final as (
    select
        p.patient_id,
        'inc_cardiac' as criterion_id,
        case cmp_ge(e.value, e.comparator, l.lvef_min)
            when true then 'met'
            when false then 'not_met'
            else 'unknown'
        end as status,
        case
            when e.result_date is null
                then missing_text('LVEF', l.window_days, e.newest_any_date)
            when e.unreadable is not null then e.unreadable
            else
                result_text('LVEF', e.comparator, e.value, e.unit, e.result_date)
                || case cmp_ge(e.value, e.comparator, l.lvef_min)
                    when true then ' >= '
                    when false then ' < '
                    else ' undecided vs '
                end || fmt_num(l.lvef_min) || ' %'
        end || '; ECG to review at screening' as evidence,
        e.result_date as evidence_date,
        e.changes_on
    from stg_patients as p
    cross join limits as l
    left join lvef as e on p.patient_id = e.patient_id
)

select * from final
