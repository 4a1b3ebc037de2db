-- crit_exc_kidney_failure: one row per patient; exclusion exc_kidney_failure (met =
-- excluded).
-- Reads: stg_patients, stg_labs (via latest_result: measure egfr), stg_diagnoses,
-- stg_procedures, valuesets (kidney_failure), params.
-- Three parts, OR in three values:
--   eGFR: the latest within window_days before the as-of date (inclusive) is below
--     egfr_below (strict: exactly 30 is not failure); '<15' is below, '<60' is open;
--   chronic dialysis (Z99.2, or end-stage renal disease N18.6; or ESRD dialysis
--     services as procedures, CPT4 90951-90970: a single dialysis session is not chronic
--     dialysis and is not in the value set) or a kidney transplant (Z94.0, Z48.22, or the
--     transplant as a procedure): any record on or before the as-of date (any age).
-- met: a diagnosis, or an eGFR below the limit. not_met: no diagnosis and the latest
-- eGFR at or above the limit. unknown: no diagnosis and no decisive eGFR in the window
-- (a measurement-based exclusion without a test).
with limits as (
    select
        param('exc_kidney_failure', 'egfr_below') as egfr_below,
        param('exc_kidney_failure', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
egfr as (
    select * from latest_result('egfr', (select lim.window_days from limits as lim))
),

-- diagnoses and procedures alike (a procedure's date stands for a diagnosis date)
coded as (
    select
        patient_id,
        code_system,
        code,
        code_as_reported,
        diagnosis_date
    from stg_diagnoses
    union all
    select
        patient_id,
        code_system,
        code,
        code_as_reported,
        procedure_date as diagnosis_date
    from stg_procedures
),

-- lookback: any record on or before the as-of date
diagnosed as (
    select
        d.patient_id,
        max(d.diagnosis_date) as diagnosis_date,
        string_agg(
            d.code_system || ' ' || d.code_as_reported || ' on ' || strftime(d.diagnosis_date, '%Y-%m-%d')
            || ' (' || replace(v.category, '_', ' ') || ')',
            ', ' order by d.diagnosis_date desc, d.code asc
        ) as listed
    from coded as d
    inner join vs('kidney_failure') as v
        on d.code_system = v.code_system and d.code = v.code
    where d.diagnosis_date <= as_of()
    group by d.patient_id
),

judged as (
    select
        p.patient_id,
        l.egfr_below,
        l.window_days,
        g.listed,
        g.diagnosis_date,
        e.result_date,
        e.newest_any_date,
        least(e.changes_on, dc.changes_on, pc.changes_on) as changes_on,
        e.value,
        e.comparator,
        e.unit,
        e.unreadable,
        cmp_lt(e.value, e.comparator, l.egfr_below) as egfr_low
    from stg_patients as p
    cross join limits as l
    left join egfr as e on p.patient_id = e.patient_id
    left join diagnosed as g on p.patient_id = g.patient_id
    -- time alone: a diagnosis or procedure dated after the as-of date enters on its date
    left join
        date_changes('diagnoses', 'kidney_failure', [0], cast([] as integer[])) as dc
        on p.patient_id = dc.patient_id
    left join
        date_changes('procedures', 'kidney_failure', [0], cast([] as integer[])) as pc
        on p.patient_id = pc.patient_id
),

final as (
    select
        patient_id,
        'exc_kidney_failure' as criterion_id,
        case
            when listed is not null or egfr_low then 'met'
            when egfr_low = false then 'not_met'
            else 'unknown'
        end as status,
        concat_ws(
            '; ',
            listed,
            case
                when result_date is null then missing_text('eGFR', window_days, newest_any_date)
                when unreadable is not null then unreadable
                else
                    result_text('eGFR', comparator, value, unit, result_date)
                    || case egfr_low when true then ' < ' when false then ' >= ' else ' undecided vs ' end
                    || fmt_num(egfr_below) || ' mL/min/1.73m2'
            end,
            case when listed is null then 'no dialysis or kidney transplant recorded' end
        ) as evidence,
        case
            when egfr_low then greatest(result_date, diagnosis_date)
            when listed is not null then diagnosis_date
            else result_date
        end as evidence_date,
        changes_on
    from judged
)

select * from final
