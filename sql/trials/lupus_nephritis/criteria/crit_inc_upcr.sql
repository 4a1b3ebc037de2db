-- crit_inc_upcr: one row per patient; inclusion inc_upcr.
-- Reads: stg_patients, stg_labs (via latest_result: measure upcr), params.
-- The most recent urine protein/creatinine ratio within window_days before the as-of
-- date (inclusive) must be at least the protocol's threshold, "1.0 g/g (113 mg/mmol)":
-- * a result reported per mmol creatinine (mg/mmol, g/mmol, with or without {creat}) is
--   compared in mg/mmol with upcr_min x mg_mmol_per_g_g (1.0 x 113), the protocol's own
--   figure, so 113 mg/mmol is met (the exact factor, 113.12, would make it 0.9989 g/g);
-- * any other result is compared in g/g (staging converts mg/g x 0.001, mg/mg x 1) with
--   upcr_min.
-- Absent, too old, or in a unit staging cannot convert -> unknown; '>3' is met, '<2'
-- stays unknown against 1.0 and '<0.5' is not_met.
with limits as (
    select
        param('inc_upcr', 'upcr_min') as upcr_min,
        param('inc_upcr', 'mg_mmol_per_g_g') as mg_mmol_per_g_g,
        param('inc_upcr', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
upcr as (
    select * from latest_result('upcr', (select lim.window_days from limits as lim))
),

-- per mmol creatinine: the result in mg/mmol, and the threshold in mg/mmol
read_result as (
    select
        p.patient_id,
        l.upcr_min,
        l.window_days,
        u.result_date,
        u.newest_any_date,
        u.changes_on,
        u.value,
        u.comparator,
        u.unit,
        u.value_text,
        u.value_reported,
        u.unit_reported,
        u.unreadable,
        round(u.value_reported * case norm_unit(u.unit_reported)
            when 'mg/mmol' then 1
            when 'mg/mmol{creat}' then 1
            when 'g/mmol' then 1000
            when 'g/mmol{creat}' then 1000
        end, 6) as mg_mmol,
        round(l.upcr_min * l.mg_mmol_per_g_g, 6) as mg_mmol_min
    from stg_patients as p
    cross join limits as l
    left join upcr as u on p.patient_id = u.patient_id
),

judged as (
    select
        *,
        case
            when unreadable is not null then null
            when mg_mmol is not null then cmp_ge(mg_mmol, comparator, mg_mmol_min)
            else cmp_ge(value, comparator, upcr_min)
        end as ok
    from read_result
),

final as (
    select
        patient_id,
        'inc_upcr' as criterion_id,
        case ok
            when true then 'met'
            when false then 'not_met'
            else 'unknown'
        end as status,
        case
            when result_date is null
                then missing_text('UPCR', window_days, newest_any_date)
            when unreadable is not null then unreadable
            when mg_mmol is not null
                then
                    result_text('UPCR', comparator, mg_mmol, 'mg/mmol', result_date)
                    || ' (' || coalesce(comparator, '') || fmt_num(value) || ' ' || unit || ')'
                    || case ok
                        when true then ' >= '
                        when false then ' < '
                        else ' undecided vs '
                    end || fmt_num(mg_mmol_min) || ' mg/mmol (the protocol''s equivalent of '
                    || fmt_num(upcr_min) || ' g/g)'
            else
                result_text('UPCR', comparator, value, unit, result_date)
                || case
                    when unit_reported is not null and norm_unit(unit_reported) != 'g/g'
                        then
                            ' ('
                            || coalesce(value_text, fmt_num(value_reported))
                            || ' '
                            || unit_reported
                            || ')'
                    else ''
                end
                || case ok
                    when true then ' >= '
                    when false then ' < '
                    else ' undecided vs '
                end || fmt_num(upcr_min) || ' g/g'
        end as evidence,
        result_date as evidence_date,
        changes_on
    from judged
)

select * from final
