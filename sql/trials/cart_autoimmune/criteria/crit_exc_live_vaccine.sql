-- crit_exc_live_vaccine: one row per patient; exclusion exc_live_vaccine (met = excluded).
-- Reads: stg_patients, stg_medications, valuesets (live_vaccines), params.
-- A live vaccine (CVX codes of the value set; CVX '3' = '03') administered within
-- window_days before the as-of date (inclusive) excludes; an event-based exclusion, so
-- no record means not_met. Non-live vaccines (187 zoster recombinant, 141 inactivated
-- influenza) are not in the value set.
with limits as (
    select param('exc_live_vaccine', 'window_days') as window_days
),

-- window: start_date (the administration date) in [as_of - window_days, as_of]
vaccines as (
    select
        m.patient_id,
        max(m.start_date) as last_date,
        arg_max('CVX ' || m.code || ' (' || v.display || ')', (m.start_date, m.code, v.display)) as vaccine
    from stg_medications as m
    cross join limits as l
    inner join vs('live_vaccines') as v
        on m.code_system = v.code_system and m.code = v.code
    where
        m.start_date <= as_of()
        and m.start_date >= as_of() - cast(l.window_days as integer)
    group by m.patient_id
),

final as (
    select
        p.patient_id,
        'exc_live_vaccine' as criterion_id,
        if(v.patient_id is not null, 'met', 'not_met') as status,
        coalesce(
            'live vaccine ' || v.vaccine || ' on ' || strftime(v.last_date, '%Y-%m-%d'),
            'no live vaccine within ' || cast(l.window_days as integer)
            || ' days before ' || strftime(as_of(), '%Y-%m-%d')
        ) as evidence,
        v.last_date as evidence_date
    from stg_patients as p
    cross join limits as l
    left join vaccines as v on p.patient_id = v.patient_id
)

select * from final
