-- crit_exc_pregnancy: one row per patient; exclusion exc_pregnancy (met = excluded).
-- Reads: stg_patients, stg_labs, stg_diagnoses, valuesets (pregnancy_tests,
-- pregnancy_diagnoses), params.
-- Met: the latest pregnancy test within window_days (inclusive) is positive, or a
-- pregnancy diagnosis is dated within window_days. not_met: the latest test in the
-- window is negative, or the patient is male. Otherwise unknown (no test: verify at
-- screening); an indeterminate latest test is unknown too. Several tests on the latest
-- date: positive if any is positive, else unknown if any is indeterminate, else negative.
with limits as (
    select param('exc_pregnancy', 'window_days') as window_days
),

-- window: result_date / diagnosis_date in [as_of - window_days, as_of]
latest_test as (
    select
        l.patient_id,
        l.qualitative,
        l.result_date,
        l.code
    from stg_labs as l
    inner join vs('pregnancy_tests') as v
        on l.code_system = v.code_system and l.code = v.code
    where
        l.result_date <= as_of()
        and l.result_date >= as_of() - cast((select lim.window_days from limits as lim) as integer)
        and l.qualitative is not null
    -- the latest date decides; on that date a positive test wins over the others (a
    -- serum hCG positive with a urine test negative is a pregnancy), then an
    -- indeterminate one (open) over a negative one; then the latest delivered record
    qualify row_number() over (
        partition by l.patient_id
        order by
            l.result_date desc,
            case l.qualitative when 'positive' then 0 when 'indeterminate' then 1 else 2 end,
            l._load_id desc,
            l._line desc
    ) = 1
),

latest_diagnosis as (
    select
        d.patient_id,
        max(d.diagnosis_date) as diagnosis_date,
        arg_max(d.code_as_reported, (d.diagnosis_date, d.code_as_reported)) as code
    from stg_diagnoses as d
    inner join vs('pregnancy_diagnoses') as v
        on d.code_system = v.code_system and d.code = v.code
    where
        d.diagnosis_date <= as_of()
        and d.diagnosis_date >= as_of() - cast((select lim.window_days from limits as lim) as integer)
    group by d.patient_id
),

final as (
    select
        p.patient_id,
        'exc_pregnancy' as criterion_id,
        case
            when t.qualitative = 'positive' or g.patient_id is not null then 'met'
            when t.qualitative = 'negative' then 'not_met'
            when p.sex = 'M' then 'not_met'
            else 'unknown'
        end as status,
        case
            when t.qualitative = 'positive'
                then
                    'pregnancy test (LOINC ' || t.code || ') positive on '
                    || strftime(t.result_date, '%Y-%m-%d')
            when g.patient_id is not null
                then
                    'pregnancy diagnosis ' || g.code || ' on '
                    || strftime(g.diagnosis_date, '%Y-%m-%d')
            when t.qualitative is not null
                then
                    'pregnancy test (LOINC ' || t.code || ') ' || t.qualitative || ' on '
                    || strftime(t.result_date, '%Y-%m-%d')
            when p.sex = 'M' then 'not applicable: sex recorded as male'
            else
                'no pregnancy test within ' || cast(l.window_days as integer)
                || ' days before ' || as_of_text() || ': verify at screening'
        end as evidence,
        coalesce(
            case when t.qualitative = 'positive' then t.result_date end,
            g.diagnosis_date,
            t.result_date
        ) as evidence_date
    from stg_patients as p
    cross join limits as l
    left join latest_test as t on p.patient_id = t.patient_id
    left join latest_diagnosis as g on p.patient_id = g.patient_id
)

-- changes_on: a test or diagnosis enters on its date and leaves the window on
-- date + window_days + 1
select
    f.*,
    least(lc.changes_on, dc.changes_on) as changes_on
from final as f
left join date_changes(
    'labs', 'pregnancy_tests',
    [0, (select cast(param('exc_pregnancy', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as lc on f.patient_id = lc.patient_id
left join date_changes(
    'diagnoses', 'pregnancy_diagnoses',
    [0, (select cast(param('exc_pregnancy', 'window_days') as integer) + 1)],
    cast([] as integer[])
) as dc on f.patient_id = dc.patient_id
