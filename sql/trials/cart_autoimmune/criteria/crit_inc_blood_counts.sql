-- crit_inc_blood_counts: one row per patient; inclusion inc_blood_counts.
-- Reads: stg_patients, stg_labs (via latest_result), params.
-- Hb (g/L) >= hb_min and platelets (10^9/L) >= platelets_min, each the latest result
-- within window_days before the as-of date (inclusive). Any part not met -> not_met;
-- both met -> met; otherwise (absent, too old, or a comparator that leaves it open)
-- unknown.
with limits as (
    select
        param('inc_blood_counts', 'hb_min') as hb_min,
        param('inc_blood_counts', 'platelets_min') as plt_min,
        param('inc_blood_counts', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
hb as (
    select * from latest_result('hemoglobin', (select lim.window_days from limits as lim))
),

plt as (
    select * from latest_result('platelets', (select lim.window_days from limits as lim))
),

parts as (
    select
        p.patient_id,
        cmp_ge(hb.value, hb.comparator, l.hb_min) as hb_ok,
        cmp_ge(plt.value, plt.comparator, l.plt_min) as plt_ok,
        case
            when hb.result_date is null then missing_text('Hb', l.window_days, hb.newest_any_date)
            when hb.unreadable is not null then hb.unreadable
            else
                result_text('Hb', hb.comparator, hb.value, hb.unit, hb.result_date)
                || case
                    when cmp_ge(hb.value, hb.comparator, l.hb_min) then ' >= '
                    when not cmp_ge(hb.value, hb.comparator, l.hb_min) then ' < '
                    else ' undecided vs '
                end || fmt_num(l.hb_min) || ' g/L'
        end as hb_text,
        case
            when plt.result_date is null
                then missing_text('platelets', l.window_days, plt.newest_any_date)
            when plt.unreadable is not null then plt.unreadable
            else
                result_text('Platelets', plt.comparator, plt.value, plt.unit, plt.result_date)
                || case
                    when cmp_ge(plt.value, plt.comparator, l.plt_min) then ' >= '
                    when not cmp_ge(plt.value, plt.comparator, l.plt_min) then ' < '
                    else ' undecided vs '
                end || fmt_num(l.plt_min) || ' 10^9/L'
        end as plt_text,
        greatest(hb.result_date, plt.result_date) as evidence_date,
        least(hb.changes_on, plt.changes_on) as changes_on
    from stg_patients as p
    cross join limits as l
    left join hb on p.patient_id = hb.patient_id
    left join plt on p.patient_id = plt.patient_id
),

final as (
    select
        patient_id,
        'inc_blood_counts' as criterion_id,
        case
            when not hb_ok or not plt_ok then 'not_met'
            when hb_ok and plt_ok then 'met'
            else 'unknown'
        end as status,
        hb_text || '; ' || plt_text as evidence,
        evidence_date,
        changes_on
    from parts
)

select * from final
