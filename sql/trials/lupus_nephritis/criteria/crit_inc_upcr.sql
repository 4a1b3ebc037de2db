-- crit_inc_upcr: one row per patient; inclusion inc_upcr.
-- Reads: stg_patients, stg_labs (via latest_result: measure upcr), params.
-- The most recent urine protein/creatinine ratio within window_days before the as-of
-- date (inclusive) must be >= upcr_min g/g. Staging converts mg/g (x 0.001), mg/mg and
-- g/g (x 1), mg/mmol (x 1/113.12, creatinine 113.12 g/mol) and g/mmol before the
-- comparison: 113.12 mg/mmol is 1.0 g/g, while 113 mg/mmol is 0.9989 g/g and fails.
-- Absent, too old, or in a unit staging cannot convert -> unknown; '>3' is met, '<2'
-- stays unknown against 1.0 and '<0.5' is not_met.
with limits as (
    select
        param('inc_upcr', 'upcr_min') as upcr_min,
        param('inc_upcr', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
upcr as (
    select * from latest_result('upcr', (select lim.window_days from limits as lim))
),

final as (
    select
        p.patient_id,
        'inc_upcr' as criterion_id,
        case cmp_ge(u.value, u.comparator, l.upcr_min)
            when true then 'met'
            when false then 'not_met'
            else 'unknown'
        end as status,
        case
            when u.result_date is null
                then missing_text('UPCR', l.window_days, u.newest_any_date)
            else
                result_text('UPCR', u.comparator, u.value, u.unit, u.result_date)
                || case
                    when u.unit_reported is not null and norm_unit(u.unit_reported) != 'g/g'
                        then
                            ' ('
                            || coalesce(u.value_text, fmt_num(u.value_reported))
                            || ' '
                            || u.unit_reported
                            || ')'
                    else ''
                end
                || case cmp_ge(u.value, u.comparator, l.upcr_min)
                    when true then ' >= '
                    when false then ' < '
                    else ' undecided vs '
                end || fmt_num(l.upcr_min) || ' g/g'
        end as evidence,
        u.result_date as evidence_date
    from stg_patients as p
    cross join limits as l
    left join upcr as u on p.patient_id = u.patient_id
)

select * from final
