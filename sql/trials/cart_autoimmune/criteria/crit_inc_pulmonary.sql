-- crit_inc_pulmonary: one row per patient; inclusion inc_pulmonary.
-- Reads: stg_patients, stg_labs (via latest_result: measures dlco_pct_predicted,
-- fvc_pct_predicted), params.
-- DLCO % of predicted (LOINC 98130-8) >= dlco_min and FVC % of predicted (19872-1,
-- 19871-3, 19873-9) >= fvc_min, each the latest result within window_days before the
-- as-of date (inclusive). Absolute DLCO (19911-7, mL/min/mmHg) and FVC volumes (19870-5,
-- 19876-2, 19874-7, L) are other measures and never read here, whatever unit they carry.
-- Any part below -> not_met; both met -> met; otherwise unknown.
with limits as (
    select
        param('inc_pulmonary', 'dlco_min') as dlco_min,
        param('inc_pulmonary', 'fvc_min') as fvc_min,
        param('inc_pulmonary', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
dlco as (
    select * from latest_result('dlco_pct_predicted', (select lim.window_days from limits as lim))
),

-- window: result_date in [as_of - window_days, as_of]
fvc as (
    select * from latest_result('fvc_pct_predicted', (select lim.window_days from limits as lim))
),

parts as (
    select
        p.patient_id,
        cmp_ge(d.value, d.comparator, l.dlco_min) as dlco_ok,
        cmp_ge(f.value, f.comparator, l.fvc_min) as fvc_ok,
        case
            when d.result_date is null
                then missing_text('DLCO % predicted', l.window_days, d.newest_any_date)
            when d.unreadable is not null then d.unreadable
            else
                result_text('DLCO', d.comparator, d.value, '% predicted', d.result_date)
                || case cmp_ge(d.value, d.comparator, l.dlco_min)
                    when true then ' >= '
                    when false then ' < '
                    else ' undecided vs '
                end || fmt_num(l.dlco_min) || ' %'
        end as dlco_text,
        case
            when f.result_date is null
                then missing_text('FVC % predicted', l.window_days, f.newest_any_date)
            when f.unreadable is not null then f.unreadable
            else
                result_text('FVC', f.comparator, f.value, '% predicted', f.result_date)
                || case cmp_ge(f.value, f.comparator, l.fvc_min)
                    when true then ' >= '
                    when false then ' < '
                    else ' undecided vs '
                end || fmt_num(l.fvc_min) || ' %'
        end as fvc_text,
        greatest(d.result_date, f.result_date) as evidence_date,
        least(d.changes_on, f.changes_on) as changes_on
    from stg_patients as p
    cross join limits as l
    left join dlco as d on p.patient_id = d.patient_id
    left join fvc as f on p.patient_id = f.patient_id
),

final as (
    select
        patient_id,
        'inc_pulmonary' as criterion_id,
        case
            when not dlco_ok or not fvc_ok then 'not_met'
            when dlco_ok and fvc_ok then 'met'
            else 'unknown'
        end as status,
        dlco_text || '; ' || fvc_text as evidence,
        evidence_date,
        changes_on
    from parts
)

select * from final
