-- crit_inc_serology: one row per patient; inclusion inc_serology.
-- Reads: stg_patients, stg_labs (via latest_result: measures anti_dsdna, c3, c4), params.
-- Each test is its most recent result within window_days before the as-of date
-- (inclusive), and each finding is three-valued:
--   anti-dsDNA abnormal: value > the row's own ref_high (strict; units differ between
--     assays, so never a fixed threshold), or a qualitative 'positive'; a number without
--     ref_high, or absent, is open (NULL);
--   C3 / C4 low: value < the row's own ref_low (converted to g/L with the value), or,
--     without a positive ref_low, < c3_lln_default / c4_lln_default g/L; absent is open.
-- OR in three values: met if any finding is true; not_met only if all three are false
-- (the three latest tests are normal); otherwise unknown (a test missing or open).
with limits as (
    select
        param('inc_serology', 'window_days') as window_days,
        param('inc_serology', 'c3_lln_default') as c3_lln,
        param('inc_serology', 'c4_lln_default') as c4_lln
),

-- window (all three tests): result_date in [as_of - window_days, as_of]
latest as (
    select
        'anti-dsDNA' as label,
        *
    from latest_result('anti_dsdna', (select lim.window_days from limits as lim))
    union all by name
    select
        'C3' as label,
        *
    from latest_result('c3', (select lim.window_days from limits as lim))
    union all by name
    select
        'C4' as label,
        *
    from latest_result('c4', (select lim.window_days from limits as lim))
),

tests as (
    select
        t.label,
        t.ordinal,
        case t.label when 'C3' then l.c3_lln when 'C4' then l.c4_lln end as default_lln,
        l.window_days
    from (values ('anti-dsDNA', 1), ('C3', 2), ('C4', 3)) as t (label, ordinal)
    cross join limits as l
),

read_tests as (
    select
        p.patient_id,
        t.label,
        t.ordinal,
        t.window_days,
        r.newest_any_date,
        r.changes_on,
        r.result_date,
        r.value,
        r.comparator,
        r.unit,
        r.qualitative,
        r.ref_high,
        r.unreadable,
        coalesce(r.ref_low > 0, false) as own_lln,
        case when r.ref_low > 0 then r.ref_low else t.default_lln end as lln
    from stg_patients as p
    cross join tests as t
    left join latest as r on p.patient_id = r.patient_id and t.label = r.label
),

judged as (
    select
        *,
        case
            when result_date is null then null
            when ordinal = 1 and value is not null and ref_high > 0 then cmp_gt(value, comparator, ref_high)
            when ordinal = 1 and qualitative = 'positive' then true
            when ordinal = 1 and qualitative = 'negative' then false
            when ordinal > 1 and value is not null then cmp_lt(value, comparator, lln)
        end as abnormal
    from read_tests
),

described as (
    select
        *,
        case
            when result_date is null then missing_text(label, window_days, newest_any_date)
            when unreadable is not null then unreadable
            when value is null
                then
                    label
                    || ' '
                    || coalesce(qualitative, 'unreadable')
                    || ' on '
                    || strftime(result_date, '%Y-%m-%d')
            else
                result_text(label, comparator, value, unit, result_date)
                || case
                    when ordinal = 1 and not coalesce(ref_high > 0, false)
                        then ' (no reference range: verify)'
                    when ordinal = 1
                        then
                            case abnormal
                                when true then ' > ' when false then ' <= ' else ' undecided vs '
                            end
                            || 'ULN ' || fmt_num(ref_high) || ' ' || unit
                    else
                        case abnormal when true then ' < ' when false then ' >= ' else ' undecided vs ' end
                        || 'LLN ' || fmt_num(lln) || ' g/L' || if(own_lln, ' (ref_low)', ' (default)')
                end
        end as test_text
    from judged
),

by_patient as (
    select
        patient_id,
        bool_or(abnormal) as any_abnormal,
        count(*) filter (where abnormal = false) as normal_tests,
        string_agg(test_text, '; ' order by ordinal) as listed,
        max(result_date) filter (where abnormal) as abnormal_date,
        max(result_date) as last_date,
        min(changes_on) as changes_on
    from described
    group by patient_id
),

final as (
    select
        patient_id,
        'inc_serology' as criterion_id,
        case
            when any_abnormal then 'met'
            when normal_tests = 3 then 'not_met'
            else 'unknown'
        end as status,
        listed as evidence,
        case when any_abnormal then abnormal_date else last_date end as evidence_date,
        changes_on
    from by_patient
)

select * from final
