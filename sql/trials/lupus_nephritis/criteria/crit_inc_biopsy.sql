-- crit_inc_biopsy: one row per patient; inclusion inc_biopsy.
-- Decided by a person: status manual.
-- Reads: stg_patients, stg_procedures, valuesets (kidney_biopsy).
-- The ISN/RPS class of a kidney biopsy is in the pathology report, which no extract
-- carries (the protocol says the classification is rarely coded, and no verified code
-- for it is in the shared code reference): the site reviews the report at screening.
-- A kidney biopsy recorded as a procedure within the 6 months is named in the evidence
-- (the report to review); the status stays manual either way.
with biopsies as (
    -- window: procedure_date in [as_of - 6 months, as_of]
    select
        p.patient_id,
        max(p.procedure_date) as biopsy_date,
        arg_max(
            p.code_system || ' ' || p.code_as_reported,
            (p.procedure_date, p.code_system, p.code_as_reported)
        ) as code
    from stg_procedures as p
    inner join vs('kidney_biopsy') as v
        on p.code_system = v.code_system and p.code = v.code
    where p.procedure_date <= as_of() and p.procedure_date >= as_of() - interval 6 month
    group by p.patient_id
),

final as (
    select
        p.patient_id,
        'inc_biopsy' as criterion_id,
        'manual' as status,
        'to review at screening: kidney biopsy within 6 months before '
        || as_of_text() || ' showing ISN/RPS class III or IV (with or without V)'
        || coalesce(
            '; kidney biopsy recorded: ' || b.code || ' on ' || strftime(b.biopsy_date, '%Y-%m-%d')
            || ' (review its report)',
            ''
        ) as evidence,
        cast(b.biopsy_date as date) as evidence_date
    from stg_patients as p
    left join biopsies as b on p.patient_id = b.patient_id
)

-- changes_on: a biopsy enters on its date and leaves the 6-month window about 6 months later
select
    f.*,
    pc.changes_on
from final as f
left join date_changes(
    'procedures', 'kidney_biopsy',
    [0],
    [6]
) as pc on f.patient_id = pc.patient_id
