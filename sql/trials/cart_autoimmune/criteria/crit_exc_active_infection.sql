-- crit_exc_active_infection: one row per patient; exclusion exc_active_infection
-- (met = excluded).
-- Reads: stg_patients, stg_diagnoses, valuesets (serious_infections), params.
-- A serious infection diagnosis (value set: sepsis codes) dated within window_days
-- before the as-of date (inclusive) excludes; an event-based exclusion, so no record
-- means not_met. Whether the infection "requires systemic treatment" is not in the
-- extracts: the evidence asks the reviewer to confirm.
with limits as (
    select param('exc_active_infection', 'window_days') as window_days
),

-- window: diagnosis_date in [as_of - window_days, as_of]
infections as (
    select
        d.patient_id,
        max(d.diagnosis_date) as last_date,
        -- code and kind from the same record: the latest, ties broken on the code shown
        arg_max(
            d.code_system || ' ' || d.code_as_reported,
            (d.diagnosis_date, d.code_system, d.code_as_reported, v.category)
        ) as code,
        arg_max(
            v.category, (d.diagnosis_date, d.code_system, d.code_as_reported, v.category)
        ) as kind
    from stg_diagnoses as d
    cross join limits as l
    inner join vs('serious_infections') as v
        on
            d.code_system = v.code_system
            and (d.code = v.code or (v.match = 'prefix' and starts_with(d.code, v.code)))
    where
        d.diagnosis_date <= as_of()
        and d.diagnosis_date >= as_of() - cast(l.window_days as integer)
    group by d.patient_id
),

final as (
    select
        p.patient_id,
        'exc_active_infection' as criterion_id,
        if(i.patient_id is not null, 'met', 'not_met') as status,
        coalesce(
            'serious infection ' || i.code || ' (' || i.kind || ') on '
            || strftime(i.last_date, '%Y-%m-%d')
            || '; systemic treatment is not in the extracts: reviewer confirms',
            'no serious infection recorded within ' || cast(l.window_days as integer)
            || ' days before ' || as_of_text()
        ) as evidence,
        i.last_date as evidence_date
    from stg_patients as p
    cross join limits as l
    left join infections as i on p.patient_id = i.patient_id
)

-- changes_on: a diagnosis enters on its date and leaves the window on
-- date + window_days + 1
select
    f.*,
    dc.changes_on
from final as f
left join date_changes(
    'diagnoses', 'serious_infections',
    [0, (select cast(param('exc_active_infection', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
