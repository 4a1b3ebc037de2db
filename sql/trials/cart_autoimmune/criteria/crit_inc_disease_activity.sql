-- crit_inc_disease_activity: one row per patient; inclusion inc_disease_activity.
-- Reads: stg_patients, stg_labs (latest_result), stg_diagnoses, patient_diseases,
-- valuesets (interstitial_lung_disease), params.
-- Each trial disease of the patient is judged by its own rule; scores (SCORE codes) are
-- the latest within window_days (inclusive). SLE: SLEDAI-2K >= sledai_min. SJOGREN:
-- ESSDAI >= essdai_min. SSC: mRSS in [mrss_min, mrss_max] and an ILD diagnosis. DM: first
-- DM diagnosis on or before as_of - dm_min_years calendar years. AAV: BVAS >= bvas_min
-- and ANCA positive (latest interpretable result of each ANCA measure, any age; positive
-- = qualitative positive or value above the row's own ref_high).
-- Parts combine as three-valued AND: a part not met (no ILD diagnosis, ANCA negative)
-- decides not_met even when the score is missing. met if any disease is met; not_met if
-- every disease is not met or the patient has no trial disease; otherwise unknown.
with limits as (
    select
        param('inc_disease_activity', 'sledai_min') as sledai_min,
        param('inc_disease_activity', 'essdai_min') as essdai_min,
        param('inc_disease_activity', 'mrss_min') as mrss_min,
        param('inc_disease_activity', 'mrss_max') as mrss_max,
        param('inc_disease_activity', 'bvas_min') as bvas_min,
        param('inc_disease_activity', 'dm_min_years') as dm_min_years,
        param('inc_disease_activity', 'window_days') as window_days,
        as_of() as as_of,
        -- DM: diagnosed on or before this day (calendar years: 2026-11-26 -> 2025-11-26)
        cast(as_of() - to_years(cast(param('inc_disease_activity', 'dm_min_years') as integer)) as date)
            as dm_cutoff
),

-- the score that decides each disease, by its name in evidence (DM has none)
score_names as (
    select
        n.disease,
        n.label
    from (
        values ('SLE', 'SLEDAI-2K'), ('SJOGREN', 'ESSDAI'), ('SSC', 'mRSS'), ('AAV', 'BVAS')
    ) as n (disease, label)
),

-- window: every score's result_date in [as_of - window_days, as_of]
scores as (
    select
        'SLE' as disease,
        *
    from latest_result('sledai2k', (select lim.window_days from limits as lim))
    union all by name
    select
        'SJOGREN' as disease,
        *
    from latest_result('essdai', (select lim.window_days from limits as lim))
    union all by name
    select
        'SSC' as disease,
        *
    from latest_result('mrss', (select lim.window_days from limits as lim))
    union all by name
    select
        'AAV' as disease,
        *
    from latest_result('bvas', (select lim.window_days from limits as lim))
),

-- lookback: an ILD diagnosis of any age on or before the as-of date
ild as (
    select
        d.patient_id,
        arg_max(
            d.code_as_reported || ' on ' || strftime(d.diagnosis_date, '%Y-%m-%d'),
            (d.diagnosis_date, d.code_as_reported)
        ) as seen
    from stg_diagnoses as d
    inner join vs('interstitial_lung_disease') as v
        on d.code_system = v.code_system and d.code = v.code
    where d.diagnosis_date <= as_of()
    group by d.patient_id
),

-- lookback: ANCA results of any age on or before the as-of date; positive when reported
-- positive or above the row's own ref_high (the unit is the lab's; see unit_conversions)
anca_results as (
    select
        l.*,
        case
            when l.qualitative = 'positive' then true
            when l.qualitative is not null then case when l.qualitative = 'negative' then false end
            else cmp_gt(l.value, l.comparator, l.ref_high)
        end as positive
    from stg_labs as l
    where
        l.measure in ('pr3_anca', 'mpo_anca', 'anca_titer')
        and l.result_date <= as_of()
),

-- the latest interpretable result of each ANCA measure decides for that measure
anca_latest as (
    select
        r.patient_id,
        r.measure,
        r.result_date,
        r.positive,
        r.short_name || ' ' || coalesce(
            r.qualitative,
            coalesce(r.comparator, '') || fmt_num(r.value_reported) || ' ' || r.unit_reported
            || if(r.positive, ' > ', ' <= ') || 'ULN ' || fmt_num(r.ref_high)
        ) || ' on ' || strftime(r.result_date, '%Y-%m-%d') as shown
    from anca_results as r
    where r.positive is not null
    qualify row_number() over (
        partition by r.patient_id, r.measure order by r.result_date desc, r._load_id desc, r._line desc
    ) = 1
),

-- positive if any ANCA measure's latest result is positive; evidence shows that one
-- (the latest; two measures on one date: the greater measure name, so reruns agree)
anca as (
    select
        patient_id,
        bool_or(positive) as positive,
        coalesce(
            arg_max(shown, (result_date, measure)) filter (where positive),
            arg_max(shown, (result_date, measure))
        ) as shown
    from anca_latest
    group by patient_id
),

judged as (
    select
        pd.patient_id,
        pd.disease,
        case pd.disease
            when 'SLE' then cmp_ge(s.value, s.comparator, l.sledai_min)
            when 'SJOGREN' then cmp_ge(s.value, s.comparator, l.essdai_min)
            when 'SSC'
                then
                    cmp_ge(s.value, s.comparator, l.mrss_min) and cmp_le(s.value, s.comparator, l.mrss_max)
                    and i.patient_id is not null
            when 'DM' then pd.first_date <= l.dm_cutoff
            when 'AAV' then cmp_ge(s.value, s.comparator, l.bvas_min) and a.positive
        end as ok,
        pd.disease || ': ' || case
            when pd.disease = 'DM'
                then
                    'first diagnosis ' || pd.first_code || ' on ' || strftime(pd.first_date, '%Y-%m-%d')
                    || if(pd.first_date <= l.dm_cutoff, ', >= ', ', < ')
                    || fmt_num(l.dm_min_years) || ' year(s) before ' || as_of_text()
            when s.result_date is null then missing_text(n.label, l.window_days, s.newest_any_date)
            when s.unreadable is not null then s.unreadable
            else
                result_text(n.label, s.comparator, s.value, s.unit, s.result_date) || case pd.disease
                    when 'SLE' then ' vs >= ' || fmt_num(l.sledai_min)
                    when 'SJOGREN' then ' vs >= ' || fmt_num(l.essdai_min)
                    when 'SSC' then ' vs ' || fmt_num(l.mrss_min) || '..' || fmt_num(l.mrss_max)
                    when 'AAV' then ' vs >= ' || fmt_num(l.bvas_min)
                end
        end
        || case pd.disease
            when 'SSC' then '; ILD ' || coalesce(i.seen, 'diagnosis: none recorded')
            when 'AAV' then '; ANCA: ' || coalesce(a.shown, 'no interpretable result')
            else ''
        end as evidence,
        coalesce(s.result_date, if(pd.disease = 'DM', pd.first_date, null)) as evidence_date
    from patient_diseases as pd
    cross join limits as l
    left join score_names as n on pd.disease = n.disease
    left join scores as s on pd.patient_id = s.patient_id and pd.disease = s.disease
    left join ild as i on pd.patient_id = i.patient_id
    left join anca as a on pd.patient_id = a.patient_id
),

per_patient as (
    select
        patient_id,
        case
            when bool_or(ok) then 'met'
            when bool_and(coalesce(not ok, false)) then 'not_met'
            else 'unknown'
        end as status,
        string_agg(
            evidence || case when ok then ' (met)' when not ok then ' (not met)' else ' (unknown)' end,
            '; ' order by disease
        ) as evidence,
        max(evidence_date) filter (where ok) as met_date,
        max(evidence_date) as any_date
    from judged
    group by patient_id
),

final as (
    select
        p.patient_id,
        'inc_disease_activity' as criterion_id,
        coalesce(j.status, 'not_met') as status,
        coalesce(j.evidence, 'no diagnosis of a trial disease: no activity rule applies') as evidence,
        coalesce(j.met_date, j.any_date) as evidence_date
    from stg_patients as p
    left join per_patient as j on p.patient_id = j.patient_id
),

score_changes as (
    select
        sc.patient_id,
        min(sc.changes_on) as changes_on
    from scores as sc
    group by sc.patient_id
)

-- changes_on: each score as latest_result says; a diagnosis enters on its date and DM
-- reaches dm_min_years years on its first date + that many years; an ANCA result enters on its date
select
    f.*,
    least(s.changes_on, dc.changes_on, ic.changes_on, lc.changes_on) as changes_on
from final as f
left join score_changes as s on f.patient_id = s.patient_id
left join date_changes(
    'diagnoses', 'autoimmune_diseases',
    [0],
    [(select 12 * cast(param('inc_disease_activity', 'dm_min_years') as integer))]
) as dc on f.patient_id = dc.patient_id
left join date_changes(
    'diagnoses', 'interstitial_lung_disease',
    [0],
    cast([] as integer[])
) as ic on f.patient_id = ic.patient_id
left join date_changes(
    'labs', null,
    [0],
    cast([] as integer[])
) as lc on f.patient_id = lc.patient_id
