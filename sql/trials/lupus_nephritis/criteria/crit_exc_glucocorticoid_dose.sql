-- crit_exc_glucocorticoid_dose: one row per patient; exclusion exc_glucocorticoid_dose
-- (met = excluded).
-- Reads: stg_patients, stg_medications, stg_labs (via latest_result: measure
-- body_weight), valuesets (glucocorticoids), params.
-- The current dose is summed over the glucocorticoid orders active on the as-of date
-- (start <= as_of, end missing or >= as_of); ONCE and PRN orders (pulses, as needed) are
-- not a daily dose and are left out, and so are orders by a route that is not systemic
-- (topical, inhaled, ophthalmic: a route missing or in the value set's systemic routes
-- counts, as in cart_autoimmune's inc_refractory). Staging gives each order mg/day
-- prednisone-equivalent (dose x per day x factor) or, for a mg/kg order, mg/kg/day.
-- mg/kg/day = the mg/kg orders + the mg orders / weight, the weight being the latest
-- body weight within weight_window_days (inclusive) in kg.
-- met: the dose is above max_mg_per_kg (strict) even counting only what is known (the
-- mg/kg orders, or everything when a weight is known). not_met: no current order, or
-- every current order dosed, a weight known where mg orders need one, and the total at
-- or below the limit. unknown: otherwise (no weight for a mg order, or an order without
-- a computable daily dose or with an implausible one, stg_medications.dose_implausible,
-- and what is known stays at or below the limit).
with limits as (
    select
        param('exc_glucocorticoid_dose', 'max_mg_per_kg') as max_mg_per_kg,
        param('exc_glucocorticoid_dose', 'weight_window_days') as weight_days,
        as_of() as as_of
),

systemic_routes as (
    select r.code
    from vs('glucocorticoids') as r
    where r.code_system = 'ROUTE'
),

-- current: an order active on the as-of date
current_orders as (
    select
        m.patient_id,
        m.ingredient,
        m.start_date,
        m.prednisone_equivalent_mg as mg_day,
        m.prednisone_equivalent_mg_per_kg as mg_kg_day,
        m.ingredient || coalesce(' ' || fmt_num(m.dose_value) || ' ' || m.dose_unit, '')
        || coalesce(' ' || m.frequency, '')
        || coalesce(
            ' = ' || fmt_num(m.prednisone_equivalent_mg) || ' mg/day',
            -- staging flagged the dose (stg_medications.dose_implausible): not counted
            ' = ' || fmt_num(m.prednisone_equivalent_mg_computed) || ' mg/day: implausible, not counted',
            ' = ' || fmt_num(m.prednisone_equivalent_mg_per_kg) || ' mg/kg/day',
            ' (no computable daily dose)'
        ) as order_text
    from stg_medications as m
    cross join limits as l
    inner join vs('glucocorticoids') as v
        on v.code_system = 'INGREDIENT' and upper(m.ingredient) = v.code
    where
        m.start_date <= l.as_of
        and (m.end_date is null or m.end_date >= l.as_of)
        and coalesce(m.frequency, '') not in ('ONCE', 'PRN')
        -- systemic only: a missing route is kept, topical or inhaled is not
        and (m.route is null or upper(m.route) in (select sr.code from systemic_routes as sr))
),

doses as (
    select
        patient_id,
        -- summed exactly (decimal): a float sum depends on the order of the rows
        coalesce(cast(sum(cast(mg_day as decimal(18, 6))) as double), 0) as mg_day,
        coalesce(cast(sum(cast(mg_kg_day as decimal(18, 6))) as double), 0) as mg_kg_day,
        count(*) filter (where mg_day is null and mg_kg_day is null) as undosed,
        max(start_date) as last_start,
        string_agg(order_text, ' + ' order by ingredient, start_date, order_text) as listed
    from current_orders
    group by patient_id
),

-- window: body weight result_date in [as_of - weight_window_days, as_of]
weights as (
    select * from latest_result('body_weight', (select lim.weight_days from limits as lim))
    where value > 0 and comparator is null
),

judged as (
    select
        p.patient_id,
        l.max_mg_per_kg,
        l.weight_days,
        l.as_of,
        d.listed,
        d.undosed,
        d.last_start,
        d.mg_day,
        w.value as weight_kg,
        w.result_date as weight_date,
        w.unreadable as weight_unreadable,
        -- what is known for sure: mg/kg orders, plus the mg orders when a weight is known
        d.mg_kg_day + coalesce(d.mg_day / w.value, 0) as known_mg_kg,
        d.undosed = 0 and (d.mg_day = 0 or w.value is not null) as complete
    from stg_patients as p
    cross join limits as l
    left join doses as d on p.patient_id = d.patient_id
    left join weights as w on p.patient_id = w.patient_id
),

final as (
    select
        patient_id,
        'exc_glucocorticoid_dose' as criterion_id,
        case
            when listed is null then 'not_met'
            when known_mg_kg > max_mg_per_kg then 'met'
            when complete then 'not_met'
            else 'unknown'
        end as status,
        case
            when listed is null
                then 'no glucocorticoid order active on ' || as_of_text()
            else
                'current glucocorticoid on ' || as_of_text() || ': ' || listed
                || coalesce(
                    '; weight ' || fmt_num(weight_kg) || ' kg on ' || strftime(weight_date, '%Y-%m-%d'),
                    ''
                )
                || case
                    when known_mg_kg > max_mg_per_kg or complete
                        then
                            '; ' || fmt_num(known_mg_kg) || ' mg/kg/day prednisone-equivalent'
                            || if(known_mg_kg > max_mg_per_kg, ' > ', ' <= ') || fmt_num(max_mg_per_kg)
                    when mg_day > 0 and weight_unreadable is not null
                        then
                            '; ' || weight_unreadable || ': cannot express '
                            || fmt_num(mg_day) || ' mg/day per kg: verify'
                    when mg_day > 0 and weight_kg is null
                        then
                            '; no body weight within ' || cast(weight_days as integer) || ' days to express '
                            || fmt_num(mg_day) || ' mg/day per kg: verify'
                    else '; ' || undosed || ' current order(s) without a daily dose: verify'
                end
        end as evidence,
        case when listed is not null then greatest(last_start, weight_date) end as evidence_date
    from judged
)

-- changes_on: an order enters on its start date and stops being current the day after
-- its end; the body weight as latest_result says
select
    f.*,
    least(mc.changes_on, wt.changes_on) as changes_on
from final as f
left join date_changes(
    'medications', 'glucocorticoids',
    [0],
    cast([] as integer[])
) as mc on f.patient_id = mc.patient_id
left join latest_result(
    'body_weight', (select param('exc_glucocorticoid_dose', 'weight_window_days'))
) as wt on f.patient_id = wt.patient_id
