-- crit_inc_refractory: one row per patient; inclusion inc_refractory.
-- Reads: stg_patients, stg_medications, valuesets (refractory_treatments), params.
-- Met when either arm holds on the as-of date:
-- * agents: >= min_agents distinct immunosuppressive ingredients, each with one course of
--   >= min_days days. A course joins an ingredient's orders while the next order starts at
--   most gap_days days after the latest end so far (back-to-back orders have a gap of 0);
--   its days are end - start + 1, bridged gaps included. Orders starting after the as-of
--   date are ignored; open orders and end dates after the as-of date run to the as-of
--   date; a ONCE administration is its start day only.
-- * glucocorticoid: the prednisone-equivalent daily doses (staging: dose x per day x
--   factor) of the glucocorticoid orders active on the as-of date are summed and compared
--   with pred_equiv_min_mg. ONCE and PRN orders have no daily dose and are left out.
-- Both arms read systemic orders only: route missing or in the value set's systemic routes.
-- Otherwise unknown when a current glucocorticoid order has no computable dose or an
-- implausible one (stg_medications.dose_implausible: never counted), else not_met
-- (event-based). Intolerance and contraindication are not in the extracts.
with limits as (
    select
        param('inc_refractory', 'min_agents') as min_agents,
        param('inc_refractory', 'min_days') as min_days,
        param('inc_refractory', 'gap_days') as gap_days,
        param('inc_refractory', 'pred_equiv_min_mg') as pred_min,
        as_of() as as_of
),

systemic_routes as (
    select r.code
    from vs('refractory_treatments') as r
    where r.code_system = 'ROUTE'
),

-- lookback: any order started on or before the as-of date, however old
treatments as (
    select
        m.*,
        v.category,
        case
            when m.frequency = 'ONCE' then m.start_date
            else greatest(m.start_date, least(coalesce(m.end_date, l.as_of), l.as_of))
        end as course_end
    from stg_medications as m
    cross join limits as l
    inner join vs('refractory_treatments') as v
        on v.code_system = 'INGREDIENT' and upper(m.ingredient) = v.code
    where
        m.start_date <= l.as_of
        -- systemic treatment only: a missing route is kept, topical or inhaled is not
        and (m.route is null or upper(m.route) in (select sr.code from systemic_routes as sr))
),

-- gaps and islands: an order opens a new course when it starts more than gap_days
-- days after the latest end of the ingredient's earlier orders
islands as (
    select
        t.patient_id,
        t.ingredient,
        t.start_date,
        t.course_end,
        cast(coalesce(
            t.start_date > max(t.course_end) over (
                partition by t.patient_id, t.ingredient order by t.start_date, t.course_end
                rows between unbounded preceding and 1 preceding
            ) + cast(l.gap_days as integer) + 1,
            true
        ) as integer) as opens_course
    from treatments as t
    cross join limits as l
    where t.category = 'immunosuppressant'
),

numbered as (
    select
        *,
        sum(opens_course) over (
            partition by patient_id, ingredient order by start_date, course_end
            rows unbounded preceding
        ) as course_no
    from islands
),

courses as (
    select
        patient_id,
        ingredient,
        min(start_date) as first_day,
        max(course_end) as last_day,
        max(course_end) - min(start_date) + 1 as days
    from numbered
    group by patient_id, ingredient, course_no
),

agents as (
    select
        c.patient_id,
        count(*) filter (where c.days >= l.min_days) as qualifying,
        max(c.last_day) filter (where c.days >= l.min_days) as last_day,
        string_agg(
            c.ingredient || ' ' || c.days || if(c.days = 1, ' day (', ' days (')
            || strftime(c.first_day, '%Y-%m-%d')
            || ' to ' || strftime(c.last_day, '%Y-%m-%d') || ')',
            ', ' order by c.days desc, c.ingredient asc
        ) as listed
    from (
        select * from courses
        qualify row_number() over (
            partition by patient_id, ingredient order by days desc, last_day desc
        ) = 1
    ) as c
    cross join limits as l
    group by c.patient_id
),

-- current: an order active on the as-of date (start <= as_of, end null or >= as_of)
steroid as (
    select
        t.patient_id,
        -- summed exactly (decimal): a float sum depends on the order of the rows, which
        -- differs between runs, and printed 635 or 635.01 for the same orders
        cast(sum(cast(t.prednisone_equivalent_mg as decimal(18, 6))) as double) as pred_mg,
        count(*) filter (where t.prednisone_equivalent_mg is null) as undosed,
        max(t.start_date) as last_start,
        string_agg(
            t.ingredient || coalesce(
                ' ' || fmt_num(t.dose_value) || ' ' || t.dose_unit || ' ' || t.frequency
                || ' = ' || fmt_num(t.prednisone_equivalent_mg) || ' mg/day',
                -- staging flagged the dose (stg_medications.dose_implausible): not counted
                ' ' || fmt_num(t.dose_value) || ' ' || t.dose_unit || ' ' || t.frequency
                || ' = ' || fmt_num(t.prednisone_equivalent_mg_computed)
                || ' mg/day: implausible, not counted',
                ' (no computable daily dose)'
            ),
            -- every column of the text breaks ties, so reruns list equal orders alike
            ' + ' order by
                t.ingredient, t.start_date, t.dose_value, t.dose_unit, t.frequency,
                t.prednisone_equivalent_mg
        ) as listed
    from treatments as t
    where
        t.category = 'glucocorticoid'
        and (t.end_date is null or t.end_date >= as_of())
        and coalesce(t.frequency, '') not in ('ONCE', 'PRN')
    group by t.patient_id
),

final as (
    select
        p.patient_id,
        'inc_refractory' as criterion_id,
        case
            when a.qualifying >= l.min_agents or s.pred_mg >= l.pred_min then 'met'
            when s.undosed > 0 then 'unknown'
            else 'not_met'
        end as status,
        coalesce(
            coalesce(a.qualifying, 0) || ' of ' || fmt_num(l.min_agents)
            || ' immunosuppressive agents with a course >= ' || fmt_num(l.min_days)
            || ' days: ' || a.listed,
            'no immunosuppressive agent ordered on or before ' || as_of_text()
        )
        || '; '
        || coalesce(
            'current glucocorticoid on ' || as_of_text() || ': '
            || fmt_num(coalesce(s.pred_mg, 0)) || ' mg/day prednisone-equivalent ('
            || s.listed || ')'
            || case when coalesce(s.pred_mg, 0) >= l.pred_min then ' >= ' else ' < ' end
            || fmt_num(l.pred_min) || ' mg/day'
            || if(s.undosed > 0, '; ' || s.undosed || ' current order(s) without a daily dose: verify', ''),
            'no glucocorticoid order active on ' || as_of_text()
        )
        || case
            when a.qualifying >= l.min_agents or s.pred_mg >= l.pred_min then ''
            else '; intolerance or contraindication to standard treatment is not in the extracts: verify'
        end as evidence,
        case
            when s.pred_mg >= l.pred_min then s.last_start
            when a.qualifying >= l.min_agents then a.last_day
        end as evidence_date
    from stg_patients as p
    cross join limits as l
    left join agents as a on p.patient_id = a.patient_id
    left join steroid as s on p.patient_id = s.patient_id
),

running as (
    select
        t.patient_id,
        true as running
    from treatments as t
    where t.category = 'immunosuppressant' and t.course_end = as_of()
    group by t.patient_id
)

-- changes_on: a running immunosuppressant course grows every day (its days are in the
-- evidence); an order enters on its start date and stops being current the day after its end
select
    f.*,
    least(if(r.running, as_of() + 1, null), mc.changes_on) as changes_on
from final as f
left join running as r on f.patient_id = r.patient_id
left join date_changes(
    'medications', 'refractory_treatments',
    [0],
    cast([] as integer[])
) as mc on f.patient_id = mc.patient_id
