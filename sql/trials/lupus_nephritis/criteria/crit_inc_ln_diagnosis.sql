-- crit_inc_ln_diagnosis: one row per patient; inclusion inc_ln_diagnosis.
-- Reads: stg_patients, stg_diagnoses, valuesets (lupus_diagnoses).
-- met: a code that attributes kidney disease to lupus (category LN: M32.14 glomerular
-- disease in SLE, M32.15 tubulo-interstitial nephropathy in SLE) on or before the as-of
-- date. unknown: an SLE code and, separately, a kidney code that may be lupus nephritis
-- (category kidney: N04, N05, N08, N16); the attribution is to verify. not_met: neither
-- (an event-based inclusion: SLE without a kidney record, or no SLE at all).
-- Records of any age count (a diagnosis, not a measurement).
with matched as (
    select
        d.patient_id,
        v.category,
        d.code_system || ' ' || d.code_as_reported as code,
        d.diagnosis_date
    from stg_diagnoses as d
    inner join vs('lupus_diagnoses') as v
        on
            d.code_system = v.code_system
            and (d.code = v.code or (v.match = 'prefix' and starts_with(d.code, v.code)))
    where d.diagnosis_date <= as_of()
),

-- the first record of each category (the diagnosis date that documents it)
firsts as (
    select
        patient_id,
        min(diagnosis_date) filter (where category = 'LN') as ln_date,
        arg_min(code, (diagnosis_date, code)) filter (where category = 'LN') as ln_code,
        min(diagnosis_date) filter (where category = 'SLE') as sle_date,
        arg_min(code, (diagnosis_date, code)) filter (where category = 'SLE') as sle_code,
        min(diagnosis_date) filter (where category = 'kidney') as kidney_date,
        arg_min(code, (diagnosis_date, code)) filter (where category = 'kidney') as kidney_code
    from matched
    group by patient_id
),

final as (
    select
        p.patient_id,
        'inc_ln_diagnosis' as criterion_id,
        case
            when f.ln_code is not null then 'met'
            when f.sle_code is not null and f.kidney_code is not null then 'unknown'
            else 'not_met'
        end as status,
        case
            when f.ln_code is not null
                then 'lupus nephritis ' || f.ln_code || ' on ' || strftime(f.ln_date, '%Y-%m-%d')
            when f.sle_code is not null and f.kidney_code is not null
                then
                    'SLE ' || f.sle_code || ' on ' || strftime(f.sle_date, '%Y-%m-%d')
                    || ' and kidney disease ' || f.kidney_code || ' on '
                    || strftime(f.kidney_date, '%Y-%m-%d')
                    || ' recorded separately: verify that the kidney disease is lupus nephritis'
            when f.sle_code is not null
                then
                    'SLE ' || f.sle_code || ' on ' || strftime(f.sle_date, '%Y-%m-%d')
                    || ' without a lupus nephritis or kidney code'
            else 'no SLE diagnosis on or before ' || as_of_text()
        end as evidence,
        case
            when f.ln_code is not null then f.ln_date
            when f.sle_code is not null and f.kidney_code is not null then greatest(f.sle_date, f.kidney_date)
            else f.sle_date
        end as evidence_date
    from stg_patients as p
    left join firsts as f on p.patient_id = f.patient_id
)

-- changes_on: a diagnosis enters on its date (any age)
select
    f.*,
    dc.changes_on
from final as f
left join date_changes(
    'diagnoses', 'lupus_diagnoses',
    [0],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
