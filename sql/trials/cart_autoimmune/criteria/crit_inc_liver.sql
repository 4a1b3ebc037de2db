-- crit_inc_liver: one row per patient; inclusion inc_liver.
-- Reads: stg_patients, stg_labs (via latest_result: measures ast, alt, bilirubin_total),
-- params.
-- AST <= ast_alt_uln_multiple x ULN, ALT <= ast_alt_uln_multiple x ULN and total
-- bilirubin <= bilirubin_uln_multiple x ULN, each the latest result within window_days
-- before the as-of date (inclusive). The ULN is the result's own ref_high (staging
-- converts it to the canonical unit with the value); a row without a positive ref_high
-- uses the default ULN parameter of its test. AST and ALT in U/L, bilirubin in umol/L.
-- Any test above its limit -> not_met; all three within -> met; otherwise (absent, too
-- old, a comparator that leaves it open) unknown.
with limits as (
    select
        param('inc_liver', 'ast_alt_uln_multiple') as ast_alt_multiple,
        param('inc_liver', 'bilirubin_uln_multiple') as bilirubin_multiple,
        param('inc_liver', 'ast_uln_default') as ast_uln,
        param('inc_liver', 'alt_uln_default') as alt_uln,
        param('inc_liver', 'bilirubin_uln_default') as bilirubin_uln,
        param('inc_liver', 'window_days') as window_days
),

-- window (all three tests): result_date in [as_of - window_days, as_of]
latest as (
    select
        1 as ordinal,
        *
    from latest_result('ast', (select lim.window_days from limits as lim))
    union all by name
    select
        2 as ordinal,
        *
    from latest_result('alt', (select lim.window_days from limits as lim))
    union all by name
    select
        3 as ordinal,
        *
    from latest_result('bilirubin_total', (select lim.window_days from limits as lim))
),

tests as (
    select
        t.ordinal,
        t.label,
        t.unit,
        case t.ordinal when 3 then l.bilirubin_multiple else l.ast_alt_multiple end as multiple,
        case t.ordinal when 1 then l.ast_uln when 2 then l.alt_uln else l.bilirubin_uln end as default_uln,
        l.window_days
    from (
        values (1, 'AST', 'U/L'), (2, 'ALT', 'U/L'), (3, 'total bilirubin', 'umol/L')
    ) as t (ordinal, label, unit)
    cross join limits as l
),

-- the ULN: the row's own ref_high when positive, else the test's default
with_uln as (
    select
        p.patient_id,
        t.ordinal,
        t.label,
        t.unit,
        t.multiple,
        t.window_days,
        r.result_date,
        r.newest_any_date,
        r.unreadable,
        r.changes_on,
        r.value,
        r.comparator,
        r.ref_high > 0 as uln_from_ref_high,
        coalesce(case when r.ref_high > 0 then r.ref_high end, t.default_uln) as uln,
        -- the limit, rounded to 6 decimals as staging rounds values: 3 x 34.8 is
        -- 104.39999999999999 in floating point, and an AST of exactly 104.4 U/L (1.74 ukat/L
        -- against a ULN of 0.58 ukat/L) is at 3 x ULN, so within (the limit is inclusive)
        round(
            t.multiple * coalesce(case when r.ref_high > 0 then r.ref_high end, t.default_uln), 6
        ) as upper_limit
    from stg_patients as p
    cross join tests as t
    left join latest as r on p.patient_id = r.patient_id and t.ordinal = r.ordinal
),

judged as (
    select
        patient_id,
        ordinal,
        result_date,
        changes_on,
        cmp_le(value, comparator, upper_limit) as ok,
        case
            when result_date is null then missing_text(label, window_days, newest_any_date)
            when unreadable is not null then unreadable
            else
                result_text(label, comparator, value, unit, result_date)
                || case cmp_le(value, comparator, upper_limit)
                    when true then ' <= '
                    when false then ' > '
                    else ' undecided vs '
                end || fmt_num(multiple) || ' x ULN ' || fmt_num(uln) || ' ' || unit
                || case when uln_from_ref_high then ' (ref_high)' else ' (default)' end
        end as part_text
    from with_uln
),

final as (
    select
        patient_id,
        'inc_liver' as criterion_id,
        case
            when bool_or(not ok) then 'not_met'
            when count(*) filter (where ok) = count(*) then 'met'
            else 'unknown'
        end as status,
        string_agg(part_text, '; ' order by ordinal) as evidence,
        max(result_date) as evidence_date,
        min(changes_on) as changes_on
    from judged
    group by patient_id
)

select * from final
