-- crit_exc_severe_comorbidity: one row per patient; exclusion exc_severe_comorbidity.
-- Decided by a person: status is always manual.
-- Reads: stg_patients, stg_diagnoses, valuesets (severe_comorbidity_flags), params.
-- Investigator judgement on severe heart, liver, lung, blood or endocrine disease. To
-- help the reviewer, the evidence lists the flagged diagnoses (end-stage heart failure,
-- cirrhosis, chronic hepatic or respiratory failure, aplastic anaemia) recorded within
-- window_days before the as-of date (inclusive); a flag never changes the status.
with limits as (
    select param('exc_severe_comorbidity', 'window_days') as window_days
),

-- window: diagnosis_date in [as_of - window_days, as_of]; the latest record per code
flagged as (
    select
        d.patient_id,
        d.diagnosis_date,
        v.category || ': ' || d.code_system || ' ' || d.code_as_reported || ' ' || v.display
        || ' on ' || strftime(d.diagnosis_date, '%Y-%m-%d') as shown
    from stg_diagnoses as d
    cross join limits as l
    inner join vs('severe_comorbidity_flags') as v
        on d.code_system = v.code_system and d.code = v.code
    where
        d.diagnosis_date <= as_of()
        and d.diagnosis_date >= as_of() - cast(l.window_days as integer)
    qualify row_number() over (
        partition by d.patient_id, d.code_system, d.code
        order by d.diagnosis_date desc, v.category asc, v.display asc
    ) = 1
),

flags as (
    select
        patient_id,
        max(diagnosis_date) as last_date,
        string_agg(shown, '; ' order by diagnosis_date desc, shown asc) as listed
    from flagged
    group by patient_id
),

final as (
    select
        p.patient_id,
        'exc_severe_comorbidity' as criterion_id,
        'manual' as status,
        'investigator judgement: severe heart, liver, lung, blood or endocrine disease'
        || coalesce('; records to review: ' || f.listed, '') as evidence,
        f.last_date as evidence_date
    from stg_patients as p
    left join flags as f on p.patient_id = f.patient_id
)

-- changes_on: a diagnosis enters on its date and leaves the window on
-- date + window_days + 1
select
    f.*,
    dc.changes_on
from final as f
left join date_changes(
    'diagnoses', 'severe_comorbidity_flags',
    [0, (select cast(param('exc_severe_comorbidity', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
