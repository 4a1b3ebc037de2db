-- crit_exc_b_cell_depletion: one row per patient; exclusion exc_b_cell_depletion (met =
-- excluded).
-- Reads: stg_patients, stg_medications, valuesets (b_cell_therapies), params.
-- An order counts when it overlaps its drug class's look-back window, which ends on the
-- as-of date: [as_of - b_cell_window_days, as_of] for B-cell depleting antibodies
-- (rituximab, obinutuzumab, ocrelizumab, ofatumumab), [as_of - belimumab_window_days,
-- as_of] for belimumab and anifrolumab. An order covers start_date to end_date; without
-- an end_date it is a single administration (frequency ONCE or none) or, with a repeating
-- frequency, an open order taken as running to the as-of date. Orders starting after the
-- as-of date are ignored. met: any order overlaps its window; otherwise not_met (an
-- event-based exclusion; older orders are named in the evidence).
with limits as (
    select
        param('exc_b_cell_depletion', 'b_cell_window_days') as b_cell_days,
        param('exc_b_cell_depletion', 'belimumab_window_days') as belimumab_days,
        as_of() as as_of
),

-- look-back per drug class: the order's last day >= as_of - that class's window
orders as (
    select
        m.patient_id,
        m.ingredient,
        v.category,
        m.start_date,
        least(
            case
                when m.end_date is not null then greatest(m.end_date, m.start_date)
                when coalesce(m.frequency, 'ONCE') = 'ONCE' then m.start_date
                else l.as_of
            end,
            l.as_of
        ) as last_day,
        m.end_date is null and coalesce(m.frequency, 'ONCE') != 'ONCE' as open_order,
        case v.category when 'b_cell_depleting' then l.b_cell_days else l.belimumab_days end as window_days,
        l.as_of
    from stg_medications as m
    cross join limits as l
    inner join vs('b_cell_therapies') as v
        on v.code_system = 'INGREDIENT' and upper(m.ingredient) = v.code
    where m.start_date <= l.as_of
),

described as (
    select
        *,
        last_day >= as_of - cast(window_days as integer) as in_window,
        ingredient || ' '
        || case
            when open_order then 'open order since ' || strftime(start_date, '%Y-%m-%d')
            when last_day = start_date then 'on ' || strftime(start_date, '%Y-%m-%d')
            else strftime(start_date, '%Y-%m-%d') || ' to ' || strftime(last_day, '%Y-%m-%d')
        end as order_text
    from orders
),

by_patient as (
    select
        patient_id,
        max(last_day) filter (where in_window) as last_in_window,
        string_agg(
            order_text || ' (within ' || cast(window_days as integer) || ' days)',
            -- the text itself breaks ties of date and ingredient, so reruns agree
            '; ' order by last_day desc, ingredient asc, order_text asc
        ) filter (where in_window) as excluding,
        string_agg(
            order_text, '; ' order by last_day desc, ingredient asc, order_text asc
        ) filter (where not in_window) as older
    from described
    group by patient_id
),

final as (
    select
        p.patient_id,
        'exc_b_cell_depletion' as criterion_id,
        case when b.excluding is not null then 'met' else 'not_met' end as status,
        coalesce(
            b.excluding,
            'no B-cell depleting therapy within ' || cast(l.b_cell_days as integer)
            || ' days and no belimumab or anifrolumab within ' || cast(l.belimumab_days as integer)
            || ' days before ' || as_of_text()
            || coalesce(' (older, not counted: ' || b.older || ')', '')
        ) as evidence,
        b.last_in_window as evidence_date
    from stg_patients as p
    cross join limits as l
    left join by_patient as b on p.patient_id = b.patient_id
),

running as (
    select
        o.patient_id,
        true as running
    from orders as o
    where o.last_day = o.as_of
    group by o.patient_id
)

-- changes_on: an order running on the as-of date shows it (its last day, the evidence
-- date); an order enters on its start date and leaves its class's window on its last day + window_days + 1
select
    f.*,
    least(if(r.running, as_of() + 1, null), mc.changes_on) as changes_on
from final as f
left join running as r on f.patient_id = r.patient_id
left join date_changes(
    'medications', 'b_cell_therapies',
    [
        0, (select cast(param('exc_b_cell_depletion', 'b_cell_window_days') as integer) + 1),
        (select cast(param('exc_b_cell_depletion', 'belimumab_window_days') as integer) + 1)
    ],
    cast([] as integer[])
) as mc on f.patient_id = mc.patient_id
