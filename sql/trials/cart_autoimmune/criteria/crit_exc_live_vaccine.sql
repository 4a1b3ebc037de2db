-- crit_exc_live_vaccine: one row per patient; exclusion exc_live_vaccine (met = excluded).
-- Reads: stg_patients, stg_medications, valuesets (live_vaccines), params.
-- A vaccine administered within window_days before the as-of date (inclusive), matched on
-- code system and code (CVX '3' = '03'). met: a code of category 'live' (the CDC CVX
-- table's live vaccines, BCG and oral typhoid by product class). unknown: only codes of
-- category 'verify', which the code alone cannot call live or not (an unspecified
-- formulation of a vaccine made both live and inactivated, e.g. CVX 188 zoster; CVX 206,
-- named live but non-replicating). not_met: otherwise (event-based: no record). Non-live
-- vaccines (187 zoster recombinant, 141 inactivated influenza) are not in the value set.
with limits as (
    select param('exc_live_vaccine', 'window_days') as window_days
),

-- window: start_date (the administration date) in [as_of - window_days, as_of]
given as (
    select
        m.patient_id,
        m.start_date,
        v.category,
        'CVX ' || m.code || ' (' || v.display || ')' as vaccine
    from stg_medications as m
    cross join limits as l
    inner join vs('live_vaccines') as v
        on m.code_system = v.code_system and m.code = v.code
    where
        m.start_date <= as_of()
        and m.start_date >= as_of() - cast(l.window_days as integer)
),

vaccines as (
    select
        patient_id,
        max(start_date) filter (where category = 'live') as live_date,
        arg_max(vaccine, (start_date, vaccine)) filter (where category = 'live') as live,
        max(start_date) filter (where category = 'verify') as verify_date,
        arg_max(vaccine, (start_date, vaccine)) filter (where category = 'verify') as verify
    from given
    group by patient_id
),

final as (
    select
        p.patient_id,
        'exc_live_vaccine' as criterion_id,
        case
            when v.live is not null then 'met'
            when v.verify is not null then 'unknown'
            else 'not_met'
        end as status,
        coalesce(
            'live vaccine ' || v.live || ' on ' || strftime(v.live_date, '%Y-%m-%d'),
            'vaccine ' || v.verify || ' on ' || strftime(v.verify_date, '%Y-%m-%d')
            || ': live or not cannot be told from the code, verify the product',
            'no live vaccine within ' || cast(l.window_days as integer)
            || ' days before ' || as_of_text()
        ) as evidence,
        coalesce(v.live_date, v.verify_date) as evidence_date
    from stg_patients as p
    cross join limits as l
    left join vaccines as v on p.patient_id = v.patient_id
)

-- changes_on: an order enters on its start date and leaves the window on
-- start + window_days + 1
select
    f.*,
    mc.changes_on
from final as f
left join date_changes(
    'medications', 'live_vaccines',
    [0, (select cast(param('exc_live_vaccine', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as mc on f.patient_id = mc.patient_id
