-- Macros created inside each trial's schema; they read that trial's `params`,
-- `run_context` and `valuesets` tables, so the same criterion SQL serves any run or
-- what-if without pasting values into SQL.

-- The screening date of this evaluation.
create or replace macro as_of() as (select rc.as_of from run_context as rc);

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
    with candidates as (
        select l.*
        from stg_labs as l
        where
            l.measure = measure_name
            and l.result_date <= as_of()
            and (
                l.value is not null or l.qualitative is not null
                or l.unit_status in ('missing_unit', 'unknown_unit')
            )
    ),

    newest as (
        select
            patient_id,
            max(result_date) as newest_any_date
        from candidates
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
        ) as unreadable
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
    || ' days before ' || strftime(as_of(), '%Y-%m-%d')
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
