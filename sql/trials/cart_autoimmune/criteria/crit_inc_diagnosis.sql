-- crit_inc_diagnosis: one row per patient; inclusion inc_diagnosis.
-- Reads: stg_patients, patient_diseases (diseases.sql).
-- Met when any diagnosis of the value set autoimmune_diseases is dated on or before the
-- as-of date; an event-based inclusion, so no record means not_met.
with found as (
    select
        patient_id,
        string_agg(
            disease || ' (' || first_code || ' on ' || strftime(first_date, '%Y-%m-%d') || ')',
            '; ' order by disease
        ) as diseases,
        min(first_date) as first_date
    from patient_diseases
    group by patient_id
),

final as (
    select
        p.patient_id,
        'inc_diagnosis' as criterion_id,
        case when f.patient_id is not null then 'met' else 'not_met' end as status,
        coalesce(
            f.diseases,
            'no diagnosis of SLE, Sjogren''s, SSc, DM or AAV on or before '
            || as_of_text()
        ) as evidence,
        f.first_date as evidence_date
    from stg_patients as p
    left join found as f on p.patient_id = f.patient_id
)

-- changes_on: a diagnosis enters on its date (any age)
select
    f.*,
    dc.changes_on
from final as f
left join date_changes(
    'diagnoses', 'autoimmune_diseases',
    [0],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
