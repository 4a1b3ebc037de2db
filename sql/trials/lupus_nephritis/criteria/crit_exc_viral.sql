-- crit_exc_viral: one row per patient; exclusion exc_viral (met = excluded).
-- Reads: stg_patients, stg_labs, valuesets (viral_tests), params.
-- Each test (a category of viral_tests: hbsag, hcv_rna, hiv) is read from its latest
-- readable result on or before the as-of date (HBsAg, HIV: a qualitative reading; HCV
-- RNA: a number or a qualitative reading); a latest result older than the test's window
-- leaves the test open. Findings:
--   HBsAg, HIV: qualitative positive (reactive) / negative; indeterminate is open;
--   HCV RNA detectable: qualitative 'detected' / 'not detected', or a number: above
--     zero is detectable whatever its unit, and so is '>x' or '>=x' above zero (above
--     the upper limit of quantification); '<x' or '<=x' (below the limit of
--     quantification) and 0 are read as not detectable.
-- met: any test positive. not_met: all three latest tests negative. unknown: otherwise
-- (a test missing, too old or indeterminate: a measurement-based exclusion).
with limits as (
    select
        param('exc_viral', 'serology_window_days') as serology_days,
        param('exc_viral', 'hcv_rna_window_days') as hcv_rna_days
),

tests as (
    select
        t.category,
        t.label,
        t.ordinal,
        case t.category when 'hcv_rna' then l.hcv_rna_days else l.serology_days end as window_days
    from
        (values ('hbsag', 'HBsAg', 1), ('hcv_rna', 'HCV RNA', 2), ('hiv', 'HIV', 3))
            as t (category, label, ordinal)
    cross join limits as l
),

-- the latest readable result of each test, of any age up to the as-of date
latest as (
    select
        l.patient_id,
        v.category,
        l.result_date,
        l.value_reported,
        l.value_text,
        l.comparator,
        l.unit_reported,
        l.qualitative
    from stg_labs as l
    inner join vs('viral_tests') as v
        on l.code_system = v.code_system and l.code = v.code
    where
        l.result_date <= as_of()
        -- a screen (HBsAg, HIV) is read from its qualitative reading only: a bare number on
        -- it (an S/CO index, not interpreted) is no reading and does not hide an earlier one
        and (l.qualitative is not null or (v.category = 'hcv_rna' and l.value_reported is not null))
    qualify row_number() over (
        partition by l.patient_id, v.category
        order by l.result_date desc, l._load_id desc, l._line desc
    ) = 1
),

-- window per test: result_date in [as_of - window_days of its test, as_of]
judged as (
    select
        p.patient_id,
        t.category,
        t.label,
        t.ordinal,
        r.result_date,
        r.result_date >= as_of() - cast(t.window_days as integer) as in_window,
        case
            when r.result_date < as_of() - cast(t.window_days as integer) then null
            when r.qualitative = 'positive' then true
            when r.qualitative = 'negative' then false
            when t.category = 'hcv_rna' and r.comparator in ('<', '<=') then false
            -- '>1.0E8' (above the upper limit of quantification) is detectable
            when t.category = 'hcv_rna' and r.comparator = '>' then r.value_reported >= 0
            when t.category = 'hcv_rna' and (r.comparator is null or r.comparator = '>=')
                then r.value_reported > 0
        end as positive,
        case
            when r.result_date is null then 'no ' || t.label || ' result'
            when r.result_date < as_of() - cast(t.window_days as integer)
                then missing_text(t.label, t.window_days, r.result_date)
            else
                t.label || ' ' || coalesce(r.value_text, fmt_num(r.value_reported))
                || coalesce(' ' || r.unit_reported, '') || ' on ' || strftime(r.result_date, '%Y-%m-%d')
        end as test_text
    from stg_patients as p
    cross join tests as t
    left join latest as r on p.patient_id = r.patient_id and t.category = r.category
),

by_patient as (
    select
        patient_id,
        bool_or(positive) as any_positive,
        count(*) filter (where positive = false) as negatives,
        string_agg(test_text, '; ' order by ordinal) filter (where positive) as positive_text,
        string_agg(test_text, '; ' order by ordinal) as all_text,
        string_agg(test_text, '; ' order by ordinal) filter (where positive is null) as open_text,
        max(result_date) filter (where positive) as positive_date,
        max(result_date) filter (where in_window) as last_date
    from judged
    group by patient_id
),

final as (
    select
        patient_id,
        'exc_viral' as criterion_id,
        case
            when any_positive then 'met'
            when negatives = 3 then 'not_met'
            else 'unknown'
        end as status,
        case
            when any_positive then positive_text
            when negatives = 3 then all_text
            else open_text || ': verify at screening'
        end as evidence,
        case when any_positive then positive_date else last_date end as evidence_date
    from by_patient
),

window_ends as (
    select
        j.patient_id,
        min(j.result_date + cast(t.window_days as integer) + 1) as changes_on
    from judged as j
    inner join tests as t on j.category = t.category
    where j.in_window
    group by j.patient_id
)

-- changes_on: a later result of a test enters on its date; a test's latest result
-- leaves its window on result_date + window_days + 1
select
    f.*,
    least(n.changes_on, r.changes_on) as changes_on
from final as f
left join next_in_valueset('viral_tests') as n on f.patient_id = n.patient_id
left join window_ends as r on f.patient_id = r.patient_id
