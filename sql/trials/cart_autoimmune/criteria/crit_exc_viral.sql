-- crit_exc_viral: one row per patient; exclusion exc_viral (met = excluded).
-- Reads: stg_patients, stg_labs (via latest_in_valueset), valuesets (viral_tests), params.
-- Each test (a category of viral_tests) is read from its latest result; a latest result
-- older than the test's window leaves the test open. Findings are three-valued:
--   screens (HBsAg, anti-HBc, HCV Ab, HIV Ab, RPR, T. pallidum Ab): qualitative positive;
--   HBV DNA, HCV RNA: above the row's ref_high when it has one; without one, any value
--   quantified above zero or a qualitative 'positive' (detected) counts as above normal;
--   '<x' (below the limit of quantification) is not above normal;
--   CMV DNA: detected (quantified above zero, or qualitative positive); ref_high unused.
--   A number whose unit is missing or not known for its code is still the test's latest
--   result: for CMV DNA any such number above zero is detected (no unit is needed to
--   tell), for HBV DNA and HCV RNA it leaves the test open (its ref_high cannot be read).
-- HBV = (HBsAg or anti-HBc) and HBV DNA above normal; HCV = HCV Ab and HCV RNA above
-- normal: a positive screen without a viral load is open, an undetectable load clears,
-- and a load above normal with negative screens is open (conflicting: verify).
-- Syphilis: any latest positive; negative when a test is negative and none is positive or
-- indeterminate (either test alone screens). Met if any virus is positive, not_met if
-- every virus is negative, else unknown.
with limits as (
    select
        param('exc_viral', 'serology_window_days') as serology_days,
        param('exc_viral', 'hbv_dna_window_days') as hbv_dna_days,
        param('exc_viral', 'hcv_rna_window_days') as hcv_rna_days,
        param('exc_viral', 'cmv_window_days') as cmv_days
),

tests as (
    select
        t.*,
        case t.category
            when 'hbv_dna' then l.hbv_dna_days
            when 'hcv_rna' then l.hcv_rna_days
            when 'cmv_dna' then l.cmv_days
            else l.serology_days
        end as window_days
    from (
        values
        ('hbsag', 'HBsAg'), ('anti_hbc', 'anti-HBc'), ('hbv_dna', 'HBV DNA'),
        ('hcv_ab', 'HCV Ab'), ('hcv_rna', 'HCV RNA'), ('hiv_ab', 'HIV Ab'),
        ('syphilis_nontreponemal', 'RPR'), ('syphilis_treponemal', 'T. pallidum Ab'),
        ('cmv_dna', 'CMV DNA')
    ) as t (category, label)
    cross join limits as l
),

-- the latest result of each test, of any age up to the as-of date
latest as (
    select * from latest_in_valueset('viral_tests')
),

-- window per test: result_date in [as_of - window_days of its test, as_of]
read_tests as (
    select
        p.patient_id,
        t.category,
        t.label,
        t.window_days,
        r.result_date,
        r.value,
        r.value_reported,
        r.comparator,
        r.unit,
        r.unit_reported,
        r.ref_high,
        r.qualitative,
        r.implausible,
        r.result_date >= as_of() - cast(t.window_days as integer) as in_window,
        t.category in ('hbv_dna', 'hcv_rna') and r.value is not null and r.ref_high > 0
            as vs_ref_high,
        case
            when r.comparator in ('<', '<=') then false
            else r.value_reported > 0
        end as quantified
    from stg_patients as p
    cross join tests as t
    left join latest as r on p.patient_id = r.patient_id and t.category = r.category
),

judged as (
    select
        patient_id,
        category,
        case when in_window then result_date end as window_date,
        coalesce(in_window, false) as has_result,
        case
            when not coalesce(in_window, false) then null
            -- an implausible value (stg_labs.implausible) is never evidence
            when implausible then null
            when vs_ref_high then cmp_gt(value, comparator, ref_high)
            when value is not null and category in ('hbv_dna', 'hcv_rna', 'cmv_dna') then quantified
            -- a number in a missing or unknown unit
            when value_reported is not null and category = 'cmv_dna' then quantified
            when value_reported is not null and category in ('hbv_dna', 'hcv_rna') then null
            when qualitative = 'positive' then true
            when qualitative = 'negative' then false
        end as finding,
        case
            when result_date is null then 'no ' || label || ' result'
            when not in_window then missing_text(label, window_days, result_date)
            when implausible
                then
                    'latest ' || label || ' ' || coalesce(comparator, '') || fmt_num(value) || ' ' || unit
                    || ' on ' || strftime(result_date, '%Y-%m-%d') || ' is implausible'
            when
                value is null and value_reported is not null
                and category in ('hbv_dna', 'hcv_rna', 'cmv_dna')
                then
                    label || ' ' || coalesce(comparator, '') || fmt_num(value_reported) || ' '
                    || coalesce(unit_reported, '(no unit)') || ' on ' || strftime(result_date, '%Y-%m-%d')
                    || case
                        when category != 'cmv_dna' then ' (unit not readable: verify against its range)'
                        when quantified then ' (detected)'
                        else ' (not quantified)'
                    end
            when value is null or category not in ('hbv_dna', 'hcv_rna', 'cmv_dna')
                then
                    label || ' ' || coalesce(qualitative, 'unreadable') || ' on '
                    || strftime(result_date, '%Y-%m-%d')
            else
                result_text(label, comparator, value, unit, result_date)
                || case
                    when vs_ref_high
                        then
                            case cmp_gt(value, comparator, ref_high)
                                when true then ' > '
                                when false then ' <= '
                                else ' undecided vs '
                            end || 'ref_high ' || fmt_num(ref_high) || ' ' || unit
                    when not quantified then ' (not quantified)'
                    when category = 'cmv_dna' then ' (detected)'
                    else ' (quantified, no ref_high: above normal)'
                end
        end as test_text
    from read_tests
),

by_patient as (
    select
        patient_id,
        bool_or(finding) filter (where category = 'hbsag')
        or bool_or(finding) filter (where category = 'anti_hbc') as hbv_screen,
        bool_or(finding) filter (where category = 'hbv_dna') as hbv_dna,
        bool_or(finding) filter (where category = 'hcv_ab') as hcv_ab,
        bool_or(finding) filter (where category = 'hcv_rna') as hcv_rna,
        bool_or(finding) filter (where category = 'hiv_ab') as hiv,
        bool_or(finding) filter (where category like 'syphilis%') as syphilis_any,
        bool_or(not finding) filter (where category like 'syphilis%') as syphilis_negative,
        bool_or(has_result and finding is null) filter (where category like 'syphilis%') as syphilis_open,
        bool_or(finding) filter (where category = 'cmv_dna') as cmv,
        string_agg(test_text, ', ' order by category desc) filter (where category in ('hbsag', 'anti_hbc'))
            as hbv_screen_text,
        max(test_text) filter (where category = 'hbv_dna') as hbv_dna_text,
        max(test_text) filter (where category = 'hcv_ab') as hcv_ab_text,
        max(test_text) filter (where category = 'hcv_rna') as hcv_rna_text,
        max(test_text) filter (where category = 'hiv_ab') as hiv_text,
        string_agg(test_text, ', ' order by category) filter (where category like 'syphilis%')
            as syphilis_text,
        max(test_text) filter (where category = 'cmv_dna') as cmv_text,
        max(window_date) filter (where category in ('hbsag', 'anti_hbc', 'hbv_dna')) as hbv_date,
        max(window_date) filter (where category in ('hcv_ab', 'hcv_rna')) as hcv_date,
        max(window_date) filter (where category = 'hiv_ab') as hiv_date,
        max(window_date) filter (where category like 'syphilis%') as syphilis_date,
        max(window_date) filter (where category = 'cmv_dna') as cmv_date
    from judged
    group by patient_id
),

viruses as (
    select
        *,
        case when hbv_screen = false and hbv_dna then null else hbv_screen and hbv_dna end as hbv,
        case when hcv_ab = false and hcv_rna then null else hcv_ab and hcv_rna end as hcv,
        case
            when syphilis_any then true
            when syphilis_negative and not syphilis_open then false
        end as syphilis,
        'HBV: ' || hbv_screen_text
        || case when coalesce(hbv_screen, true) or hbv_dna then ', ' || hbv_dna_text else '' end
            as hbv_text,
        'HCV: ' || hcv_ab_text
        || case when coalesce(hcv_ab, true) or hcv_rna then ', ' || hcv_rna_text else '' end
            as hcv_text
    from by_patient
),

final as (
    select
        patient_id,
        'exc_viral' as criterion_id,
        case
            when hbv or hcv or hiv or syphilis or cmv then 'met'
            when not (hbv or hcv or hiv or syphilis or cmv) then 'not_met'
            else 'unknown'
        end as status,
        case
            when hbv or hcv or hiv or syphilis or cmv
                then
                    concat_ws(
                        '; ', case when hbv then hbv_text end, case when hcv then hcv_text end,
                        case when hiv then 'HIV: ' || hiv_text end,
                        case when syphilis then 'syphilis: ' || syphilis_text end,
                        case when cmv then 'CMV: ' || cmv_text end
                    )
            when not (hbv or hcv or hiv or syphilis or cmv)
                then
                    concat_ws(
                        '; ', hbv_text, hcv_text, 'HIV: ' || hiv_text, 'syphilis: ' || syphilis_text,
                        'CMV: ' || cmv_text
                    )
            else
                concat_ws(
                    '; ', case when hbv is null then hbv_text end, case when hcv is null then hcv_text end,
                    case when hiv is null then 'HIV: ' || hiv_text end,
                    case when syphilis is null then 'syphilis: ' || syphilis_text end,
                    case when cmv is null then 'CMV: ' || cmv_text end
                ) || ': verify at screening'
        end as evidence,
        case
            when hbv or hcv or hiv or syphilis or cmv
                then
                    greatest(
                        case when hbv then hbv_date end, case when hcv then hcv_date end,
                        case when hiv then hiv_date end, case when syphilis then syphilis_date end,
                        case when cmv then cmv_date end
                    )
            else greatest(hbv_date, hcv_date, hiv_date, syphilis_date, cmv_date)
        end as evidence_date
    from viruses
),

window_ends as (
    select
        rt.patient_id,
        min(rt.result_date + cast(rt.window_days as integer) + 1) as changes_on
    from read_tests as rt
    where rt.in_window
    group by rt.patient_id
)

-- changes_on: a later result of a test enters on its date; a test's latest result
-- leaves its window on result_date + window_days + 1
select
    f.*,
    least(n.changes_on, r.changes_on) as changes_on
from final as f
left join next_in_valueset('viral_tests') as n on f.patient_id = n.patient_id
left join window_ends as r on f.patient_id = r.patient_id
