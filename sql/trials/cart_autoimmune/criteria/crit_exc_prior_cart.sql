-- crit_exc_prior_cart: one row per patient; exclusion exc_prior_cart (met = excluded).
-- Reads: stg_patients, stg_diagnoses, stg_procedures, valuesets (prior_cart).
-- Any record of CAR-T therapy dated on or before the as-of date excludes: a history
-- diagnosis (Z92.850) or the infusion as a procedure (ICD-10-PCS, HCPCS); an
-- event-based exclusion, so no record means not_met.
with coded as (
    -- diagnoses and procedures alike (a procedure's date stands for a diagnosis date)
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

cart as (
    select
        d.patient_id,
        min(d.diagnosis_date) as first_date,
        arg_min(
            d.code_system || ' ' || d.code_as_reported,
            (d.diagnosis_date, d.code_system, d.code_as_reported)
        ) as code
    from coded as d
    inner join vs('prior_cart') as v
        on d.code_system = v.code_system and d.code = v.code
    where d.diagnosis_date <= as_of()
    group by d.patient_id
),

final as (
    select
        p.patient_id,
        'exc_prior_cart' as criterion_id,
        case when c.patient_id is not null then 'met' else 'not_met' end as status,
        coalesce(
            'prior CAR-T therapy recorded: ' || c.code || ' on '
            || strftime(c.first_date, '%Y-%m-%d'),
            'no record of CAR-T therapy'
        ) as evidence,
        c.first_date as evidence_date
    from stg_patients as p
    left join cart as c on p.patient_id = c.patient_id
)

-- changes_on: a diagnosis or procedure enters on its date (any age)
select
    f.*,
    least(dc.changes_on, pc.changes_on) as changes_on
from final as f
left join date_changes(
    'diagnoses', 'prior_cart',
    [0],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
left join date_changes(
    'procedures', 'prior_cart',
    [0],
    cast([] as integer[])
) as pc on f.patient_id = pc.patient_id
