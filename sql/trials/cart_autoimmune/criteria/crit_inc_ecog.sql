-- crit_inc_ecog: one row per patient; inclusion inc_ecog.
-- Reads: stg_patients, stg_labs (via latest_result, measure ecog), params.
-- The latest ECOG performance status score (LOINC 89247-1 only: 89262-0 is the
-- interpretation, not the score, and is no ecog measure) within window_days before the
-- as-of date (inclusive) must be <= ecog_max. A value that is not a whole number 0..5
-- (a Karnofsky score under the ECOG code, say) is no ECOG score: unknown. Absent or too
-- old: unknown.
with limits as (
    select
        param('inc_ecog', 'ecog_max') as ecog_max,
        param('inc_ecog', 'window_days') as window_days
),

-- window: result_date in [as_of - window_days, as_of]
ecog as (
    select * from latest_result('ecog', (select lim.window_days from limits as lim))
),

judged as (
    select
        p.patient_id,
        l.ecog_max,
        l.window_days,
        e.newest_any_date,
        e.result_date,
        e.unreadable,
        e.changes_on,
        'ECOG ' || coalesce(e.comparator, '') || fmt_num(e.value) || ' on '
        || strftime(e.result_date, '%Y-%m-%d') as result_label,
        e.value between 0 and 5 and e.value = round(e.value) as is_score,
        cmp_le(e.value, e.comparator, l.ecog_max) as ok
    from stg_patients as p
    cross join limits as l
    left join ecog as e on p.patient_id = e.patient_id
),

final as (
    select
        patient_id,
        'inc_ecog' as criterion_id,
        case
            when not is_score then 'unknown'
            when ok then 'met'
            when not ok then 'not_met'
            else 'unknown'
        end as status,
        case
            when result_date is null then missing_text('ECOG', window_days, newest_any_date)
            when unreadable is not null then unreadable
            when not is_score then result_label || ' is not an ECOG score (0 to 5): verify'
            else
                result_label || case ok
                    when true then ' <= '
                    when false then ' > '
                    else ' undecided vs '
                end || fmt_num(ecog_max)
        end as evidence,
        result_date as evidence_date,
        changes_on
    from judged
)

select * from final
