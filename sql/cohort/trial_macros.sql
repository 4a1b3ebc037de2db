-- Macros created inside each trial's schema; they read that trial's `params`,
-- `run_context` and `valuesets` tables, so the same criterion SQL serves any run or
-- what-if without pasting values into SQL.

-- The screening date of this evaluation.
create or replace macro as_of() as (select rc.as_of from run_context as rc);

-- The as-of date as evidence writes it ('2026-11-26'). While criteria are materialised
-- it is a placeholder that pipelines/criteria/evaluate.py resolves: a result whose
-- evidence names the as-of date keeps that text as a template, so the stored result
-- stays valid on later days (incremental evaluation, pipelines/criteria/incremental.py).
create or replace macro as_of_text() as (select rc.as_of_label from run_context as rc);

-- A date `months` calendar months before the as-of date as evidence writes it (a
-- look-back's first day: 'since 2021-11-26'); a placeholder too while criteria are
-- materialised (chr(1) 'as_of-60m' chr(1)).
create or replace macro as_of_text_months_before(months) as (
    if(
        as_of_text() = strftime(as_of(), '%Y-%m-%d'),
        strftime(cast(as_of() - to_months(cast(months as integer)) as date), '%Y-%m-%d'),
        chr(1) || 'as_of-' || cast(months as integer) || 'm' || chr(1)
    )
);

-- Evidence with its placeholders replaced by the dates they stand for on the as-of date
-- `as_of_date`: chr(1) 'as_of' chr(1), and one look-back placeholder chr(1) 'as_of-60m'
-- chr(1) (a text holds at most one: one criterion's look-back).
create or replace macro resolve_as_of_text(evidence_text, as_of_date) as (
    replace(
        replace(evidence_text, chr(1) || 'as_of' || chr(1), strftime(as_of_date, '%Y-%m-%d')),
        chr(1) || 'as_of-' || regexp_extract(evidence_text, chr(1) || 'as_of-(\d+)m' || chr(1), 1)
        || 'm' || chr(1),
        strftime(
            cast(
                as_of_date - to_months(
                    coalesce(
                        try_cast(
                            regexp_extract(evidence_text, chr(1) || 'as_of-(\d+)m' || chr(1), 1) as integer
                        ),
                        0
                    )
                ) as date
            ),
            '%Y-%m-%d'
        )
    )
);

-- A numeric parameter of a criterion (NULL if the trial does not declare it: the
-- trial loader refuses SQL that names an undeclared parameter).
create or replace macro param(criterion_key, param_name) as (
    select p.value_num from params as p
    where p.criterion_id = criterion_key and p.name = param_name
);

-- A text parameter of a criterion.
create or replace macro param_text(criterion_key, param_name) as (
    select p.value_text from params as p
    where p.criterion_id = criterion_key and p.name = param_name
);

-- The codes of one value set (codes already normalised as staging normalises them).
create or replace macro vs(valueset_name) as table
    select v.* from valuesets as v
    where v.valueset = valueset_name;

-- Why a latest result cannot be read, or NULL when it can: its unit is not understood
-- ("latest Hb 4.0 'gr/dL' on 2025-07-10: unit not understood"), missing ("latest Hb 4.0
-- (no unit) on 2025-07-10: unit missing"), or its value is implausible ("latest Hb
-- -112 g/L on 2025-07-01 is implausible").
create or replace macro unreadable_text(
    short_name, comparator, value, unit, value_reported, value_text, unit_reported,
    unit_status, implausible, result_date
) as (
    case
        when unit_status = 'unknown_unit'
            then
                'latest ' || short_name || ' '
                || coalesce(trim(value_text), coalesce(comparator, '') || fmt_num(value_reported))
                || ' ''' || unit_reported || ''' on ' || strftime(result_date, '%Y-%m-%d')
                || ': unit not understood'
        when unit_status = 'missing_unit'
            then
                'latest ' || short_name || ' '
                || coalesce(trim(value_text), coalesce(comparator, '') || fmt_num(value_reported))
                || ' (no unit) on ' || strftime(result_date, '%Y-%m-%d') || ': unit missing'
        when implausible
            then
                'latest ' || short_name || ' ' || coalesce(comparator, '') || fmt_num(value) || ' '
                || unit || ' on ' || strftime(result_date, '%Y-%m-%d') || ' is implausible'
    end
);

-- For one measure: each patient's latest result on or before the as-of date and within
-- the window (result_date >= as_of - window_days: inclusive at the far edge), and the
-- date of the latest result of any age, to say "too old" in evidence. The latest result
-- is the latest one that carries a value: a number in a known unit, a qualitative
-- reading, or a number that cannot be used (its unit missing or not understood, or
-- implausible: stg_labs.implausible). An unusable latest result is still the latest:
-- an older one never decides in its place. Its `value` is NULL (so every comparison is
-- open and the criterion unknown) and `unreadable` says why in words ("latest Hb 4.0
-- 'gr/dL' on 2025-07-10: unit not understood"); `unreadable` is NULL for a usable
-- result. Ties on one date go to the latest delivered record.
create or replace macro latest_result(measure_name, window_days) as table
    with measure_rows as (
        select
            l.*,
            (
                l.value is not null or l.qualitative is not null
                or l.unit_status in ('missing_unit', 'unknown_unit')
            ) as carries_value
        from stg_labs as l
        where l.measure = measure_name
    ),

    candidates as (
        select r.* exclude (r.carries_value)
        from measure_rows as r
        where r.result_date <= as_of() and r.carries_value
    ),

    -- every patient with a row of the measure, also one dated after the as-of date only
    newest as (
        select
            patient_id,
            max(result_date) filter (where result_date <= as_of() and carries_value) as newest_any_date,
            min(result_date) filter (where result_date > as_of()) as next_result_date
        from measure_rows
        group by patient_id
    ),

    in_window as (
        select c.*
        from candidates as c
        where c.result_date >= as_of() - cast(window_days as integer)
        qualify row_number() over (
            partition by c.patient_id order by c.result_date desc, c._load_id desc, c._line desc
        ) = 1
    )

    select
        n.patient_id,
        n.newest_any_date,
        w.* exclude (w.patient_id) replace (if(w.implausible, null, w.value) as value),
        unreadable_text(
            w.short_name, w.comparator, w.value, w.unit, w.value_reported, w.value_text,
            w.unit_reported, w.unit_status, w.implausible, w.result_date
        ) as unreadable,
        -- time alone: a later result enters on its date; the latest one leaves the
        -- window the day after its last day in it (then none is in the window)
        least(
            n.next_result_date,
            cast(w.result_date + cast(window_days as integer) + 1 as date)  -- noqa: RF02
        ) as changes_on
    from newest as n
    left join in_window as w on n.patient_id = w.patient_id;

-- "Hb 58 g/L on 2025-06-30" (with the comparator when the lab reported one).
create or replace macro result_text(short_name, comparator, value, unit, result_date) as (
    short_name || ' ' || coalesce(comparator, '') || fmt_num(value) || ' ' || unit
    || ' on ' || strftime(result_date, '%Y-%m-%d')
);

-- "no Hb result within 90 days before 2026-11-26 (latest 2026-01-03)".
create or replace macro missing_text(short_name, window_days, newest_any_date) as (
    'no ' || short_name || ' result within ' || cast(window_days as integer)
    || ' days before ' || as_of_text()
    || coalesce(' (latest ' || strftime(newest_any_date, '%Y-%m-%d') || ', too old)', '')
);

-- For one value set: each patient's latest readable result (a value in a known unit, a
-- qualitative reading, or a number of a known measure whose unit is missing or unknown)
-- of each category of the set, of any age up to the as-of date, with the set's category.
-- A number in a missing or unknown unit has `value` NULL and its number in
-- `value_reported`: it is still the latest result, so an older result cannot decide in
-- its place (the criterion says what such a number shows). A number on a code that is
-- no measure (an S/CO index on a screening test) is skipped. A criterion applies its own
-- window to result_date: the latest result within a window is this row when it falls
-- inside, and there is none otherwise. Ties on one date go to the latest delivered record.
create or replace macro latest_in_valueset(valueset_name) as table
    select
        l.*,
        v.category
    from stg_labs as l
    inner join vs(valueset_name) as v  -- noqa: RF02
        on l.code_system = v.code_system and l.code = v.code
    where
        l.result_date <= as_of()
        and (
            l.value is not null or l.qualitative is not null
            or l.unit_status in ('missing_unit', 'unknown_unit')
        )
    qualify row_number() over (
        partition by l.patient_id, v.category
        order by l.result_date desc, l._load_id desc, l._line desc
    ) = 1;

-- changes_on: every criterion view gives, per patient, the first as-of date on which its
-- result could differ by time alone (NULL: only new data can change it). The macros
-- below give the usual parts; a criterion takes the least of its parts (least() skips
-- NULLs). A view without changes_on is evaluated again every night.

-- For the staged rows of one source ('labs', 'diagnoses', 'procedures', 'medications':
-- start dates, end dates, and end dates + 1 when an order stops being current) whose
-- code is in value set `valueset_name` (NULL: every row), each patient's first date
-- after the as-of date that is a row's date plus one of `day_offsets` days or, for
-- calendar windows, plus one of `month_offsets` months (from one day before to four
-- days after: month ends clamp, so the exact day varies). A row dated after the as-of
-- date enters on its date (offset 0); a window of W days before the as-of date
-- (inclusive) loses it on date + W + 1. A code is in the set when its system matches
-- and it starts with a code of the set (exact and prefix entries alike), or, for an
-- order, its ingredient is an INGREDIENT of the set: a superset of the rows a
-- criterion reads, so the date is never late.
create or replace macro date_changes(source_name, valueset_name, day_offsets, month_offsets) as table
    with dates as (
        select
            l.patient_id,
            l.result_date as d,
            l.code_system,
            l.code,
            cast(null as varchar) as ingredient
        from stg_labs as l
        where source_name = 'labs'
        union all
        select
            g.patient_id,
            g.diagnosis_date as d,
            g.code_system,
            g.code,
            cast(null as varchar) as ingredient
        from stg_diagnoses as g
        where source_name = 'diagnoses'
        union all
        select
            r.patient_id,
            r.procedure_date as d,
            r.code_system,
            r.code,
            cast(null as varchar) as ingredient
        from stg_procedures as r
        where source_name = 'procedures'
        union all
        select
            m.patient_id,
            m.start_date as d,
            m.code_system,
            m.code,
            upper(m.ingredient) as ingredient
        from stg_medications as m
        where source_name = 'medications'
        union all
        select
            m.patient_id,
            m.end_date as d,
            m.code_system,
            m.code,
            upper(m.ingredient) as ingredient
        from stg_medications as m
        where source_name = 'medications' and m.end_date is not null
        union all
        select
            m.patient_id,
            m.end_date + 1 as d,
            m.code_system,
            m.code,
            upper(m.ingredient) as ingredient
        from stg_medications as m
        where source_name = 'medications' and m.end_date is not null
    ),

    wanted as (
        select
            dt.patient_id,
            dt.d
        from dates as dt
        where
            valueset_name is null  -- noqa: RF02
            or exists (
                select 1
                from valuesets as v
                where
                    v.valueset = valueset_name  -- noqa: RF02
                    and (
                        (v.code_system = dt.code_system and starts_with(dt.code, v.code))
                        or (v.code_system = 'INGREDIENT' and dt.ingredient = v.code)
                    )
            )
    ),

    day_offset as (
        select unnest(day_offsets) as k
    ),

    month_offset as (
        select unnest(month_offsets) as m
    ),

    shifted as (
        select
            w.patient_id,
            cast(w.d + cast(o.k as integer) as date) as c
        from wanted as w
        cross join day_offset as o
        union all
        select
            w.patient_id,
            cast(w.d + to_months(cast(o.m as integer)) as date) + cast(j.j as integer) as c
        from wanted as w
        cross join month_offset as o
        cross join range(-1, 5) as j (j)
    )

    select
        patient_id,
        min(c) as changes_on
    from shifted
    where c > as_of()
    group by patient_id;

-- Each patient's first result date after the as-of date among the rows of a value set
-- (any category): the day a "future" row enters.
create or replace macro next_in_valueset(valueset_name) as table
    select
        l.patient_id,
        min(l.result_date) as changes_on
    from stg_labs as l
    inner join vs(valueset_name) as v  -- noqa: RF02
        on l.code_system = v.code_system and l.code = v.code
    where l.result_date > as_of()
    group by l.patient_id;

-- The next birthday after the as-of date (an age in completed years changes on it; a 29
-- February birthday completes on 1 March in other years), or the next 1 January when
-- only the birth year is known (the age range moves then).
create or replace macro birthday_changes() as table
    select
        p.patient_id,
        case
            when p.birth_date is not null
                then
                    (
                        select min(c.d)
                        from (
                            select unnest([b.next_birthday, b.next_birthday + 1]) as d
                            from (
                                select cast(
                                    p.birth_date
                                    + to_years(cast(completed_years(p.birth_date, as_of()) + 1 as integer))
                                    as date
                                ) as next_birthday
                            ) as b
                        ) as c
                        where c.d > as_of()
                    )
            when p.birth_year is not null then make_date(year(as_of()) + 1, 1, 1)
        end as changes_on
    from stg_patients as p;
