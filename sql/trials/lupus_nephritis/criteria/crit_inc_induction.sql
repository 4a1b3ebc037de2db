-- crit_inc_induction: one row per patient; inclusion inc_induction.
-- Reads: stg_patients, stg_medications, valuesets (induction_therapies), params.
-- Qualifying orders: mycophenolate (mofetil or mycophenolic acid, any route) and
-- cyclophosphamide given intravenously (a route of the value set's intravenous_route
-- rows: iv, intravenous, i.v., ivpb; any case), started on or
-- before the as-of date. Orders of one drug form a course while the gap before each
-- (days between the latest last day so far and its start, back-to-back = 0) is at most
-- gap_days (an open order runs to the as-of date; a ONCE
-- administration, such as a cyclophosphamide pulse, is its start day). "Started" means
-- the first day of the current course, so a renewal does not restart the clock and a
-- restart after a longer pause does. A course is current ("receiving") when its last
-- day is at most gap_days before the as-of date.
-- met: a current course started within window_days before the as-of date (inclusive).
-- unknown: otherwise, when a cyclophosphamide order without a route would qualify.
-- not_met: otherwise (event-based: no current induction course, or it started earlier).
with limits as (
    select
        param('inc_induction', 'window_days') as window_days,
        param('inc_induction', 'gap_days') as gap_days,
        as_of() as as_of
),

intravenous_routes as (
    select r.code
    from vs('induction_therapies') as r
    where r.code_system = 'ROUTE' and r.category = 'intravenous_route'
),

-- lookback: every order started on or before the as-of date, however old
orders as (
    select
        m.patient_id,
        m.ingredient,
        m.start_date,
        case
            when m.frequency = 'ONCE' then m.start_date
            else greatest(m.start_date, least(coalesce(m.end_date, l.as_of), l.as_of))
        end as last_day,
        case
            when v.category = 'mycophenolate' then 'yes'
            when upper(m.route) in (select ir.code from intravenous_routes as ir) then 'yes'
            when m.route is null then 'route unknown'
            else 'no'
        end as qualifies
    from stg_medications as m
    cross join limits as l
    inner join vs('induction_therapies') as v
        on v.code_system = 'INGREDIENT' and upper(m.ingredient) = v.code
    where m.start_date <= l.as_of
),

-- gaps and islands per drug and route status: a new course opens when the gap before
-- an order (start - latest last day so far - 1) exceeds gap_days
islands as (
    select
        o.*,
        cast(coalesce(
            o.start_date > max(o.last_day) over (
                partition by o.patient_id, o.ingredient, o.qualifies order by o.start_date, o.last_day
                rows between unbounded preceding and 1 preceding
            ) + cast(l.gap_days as integer) + 1,
            true
        ) as integer) as opens_course
    from orders as o
    cross join limits as l
    where o.qualifies != 'no'
),

courses as (
    select
        patient_id,
        ingredient,
        qualifies,
        min(start_date) as first_day,
        max(last_day) as last_day
    from (
        select
            *,
            sum(opens_course) over (
                partition by patient_id, ingredient, qualifies order by start_date, last_day
                rows unbounded preceding
            ) as course_no
        from islands
    ) as numbered
    group by patient_id, ingredient, qualifies, course_no
),

-- current: the course's last day within gap_days of the as-of date; recent: its first
-- day in [as_of - window_days, as_of]
current_courses as (
    select
        c.*,
        c.first_day >= l.as_of - cast(l.window_days as integer) as recent
    from courses as c
    cross join limits as l
    where c.last_day >= l.as_of - cast(l.gap_days as integer)
),

by_patient as (
    select
        patient_id,
        bool_or(recent and qualifies = 'yes') as started_recently,
        bool_or(recent and qualifies = 'route unknown') as route_open,
        max(first_day) filter (where recent and qualifies = 'yes') as recent_start,
        string_agg(
            ingredient || if(qualifies = 'route unknown', ' (route not recorded)', '')
            || ' course started ' || strftime(first_day, '%Y-%m-%d')
            || ' (through ' || strftime(last_day, '%Y-%m-%d') || ')',
            '; ' order by first_day desc, ingredient asc
        ) as listed
    from current_courses
    group by patient_id
),

final as (
    select
        p.patient_id,
        'inc_induction' as criterion_id,
        case
            when b.started_recently then 'met'
            when b.route_open then 'unknown'
            else 'not_met'
        end as status,
        coalesce(
            b.listed,
            'no current mycophenolate or IV cyclophosphamide course on ' || as_of_text()
        )
        || case
            when b.started_recently
                then ': started within ' || cast(l.window_days as integer) || ' days'
            when b.route_open then ': verify that cyclophosphamide is given intravenously'
            when b.listed is not null
                then
                    ': started more than ' || cast(l.window_days as integer) || ' days before '
                    || as_of_text()
            else ''
        end as evidence,
        b.recent_start as evidence_date
    from stg_patients as p
    cross join limits as l
    left join by_patient as b on p.patient_id = b.patient_id
),

running as (
    select
        o.patient_id,
        true as running
    from orders as o
    where o.last_day = as_of()
    group by o.patient_id
)

-- changes_on: a running course shows its last day (the as-of date); an order enters on
-- its start date, a course stops being current on its last day + gap_days + 1 and recent on its
-- first day + window_days + 1
select
    f.*,
    least(if(r.running, as_of() + 1, null), mc.changes_on) as changes_on
from final as f
left join running as r on f.patient_id = r.patient_id
left join date_changes(
    'medications', 'induction_therapies',
    [
        0, (select cast(param('inc_induction', 'gap_days') as integer) + 1),
        (select cast(param('inc_induction', 'window_days') as integer) + 1)
    ],
    cast([] as integer[])
) as mc on f.patient_id = mc.patient_id
