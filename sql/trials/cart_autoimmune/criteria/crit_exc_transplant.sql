-- crit_exc_transplant: one row per patient; exclusion exc_transplant (met = excluded).
-- Reads: stg_patients, stg_diagnoses, stg_procedures, valuesets (transplants), params.
-- met: a haematopoietic stem cell or solid organ transplant recorded at any time on or
-- before the as-of date: a diagnosis (status or aftercare codes) or a procedure (the
-- transplant itself: ICD-10-PCS, CPT4, HCPCS, SNOMED CT); corneal, skin, bone and hair
-- transplants are not in the value set. unknown (verify at screening): a transplant
-- whose organ is not coded, or acute GVHD recorded within window_days before the as-of
-- date (inclusive): ICD does not code the GVHD grade, and the protocol excludes grade 2
-- or above only. Otherwise not_met (event-based: no record).
with limits as (
    select param('exc_transplant', 'window_days') as window_days
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

-- lookback: transplant records of any age; window: GVHD in [as_of - window_days, as_of]
records as (
    select
        d.patient_id,
        v.category,
        d.diagnosis_date,
        d.code_system || ' ' || d.code_as_reported as code
    from coded as d
    cross join limits as l
    inner join vs('transplants') as v
        on d.code_system = v.code_system and d.code = v.code
    where
        d.diagnosis_date <= as_of()
        and (v.category != 'gvhd' or d.diagnosis_date >= as_of() - cast(l.window_days as integer))
),

decided as (
    select
        patient_id,
        max(diagnosis_date) filter (where category in ('solid_organ', 'hsct')) as transplant_date,
        arg_max(code || ' (' || category || ')', (diagnosis_date, code, category)) filter (
            where category in ('solid_organ', 'hsct')
        ) as transplant,
        max(diagnosis_date) filter (where category = 'gvhd') as gvhd_date,
        arg_max(code, (diagnosis_date, code)) filter (where category = 'gvhd') as gvhd,
        max(diagnosis_date) filter (where category = 'unspecified') as other_date,
        arg_max(code, (diagnosis_date, code)) filter (where category = 'unspecified') as other
    from records
    group by patient_id
),

final as (
    select
        p.patient_id,
        'exc_transplant' as criterion_id,
        case
            when r.transplant is not null then 'met'
            when r.gvhd is not null or r.other is not null then 'unknown'
            else 'not_met'
        end as status,
        coalesce(
            'transplant recorded: ' || r.transplant || ' on ' || strftime(r.transplant_date, '%Y-%m-%d'),
            nullif(concat_ws(
                '; ',
                'GVHD ' || r.gvhd || ' on ' || strftime(r.gvhd_date, '%Y-%m-%d')
                || ': GVHD grade not coded, verify grade >= 2',
                'transplant of an organ not coded: ' || r.other || ' on '
                || strftime(r.other_date, '%Y-%m-%d') || ', verify (corneal and hair do not count)'
            ), ''),
            'no transplant recorded, no GVHD within ' || cast(l.window_days as integer)
            || ' days before ' || as_of_text()
        ) as evidence,
        coalesce(r.transplant_date, greatest(r.gvhd_date, r.other_date)) as evidence_date
    from stg_patients as p
    cross join limits as l
    left join decided as r on p.patient_id = r.patient_id
)

-- changes_on: a record enters on its date; GVHD leaves the window on
-- date + window_days + 1
select
    f.*,
    least(dc.changes_on, pc.changes_on) as changes_on
from final as f
left join date_changes(
    'diagnoses', 'transplants',
    [0, (select cast(param('exc_transplant', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
left join date_changes(
    'procedures', 'transplants',
    [0, (select cast(param('exc_transplant', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as pc on f.patient_id = pc.patient_id
