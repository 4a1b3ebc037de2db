-- crit_inc_age: one row per patient; inclusion inc_age (min_age_years <= age <=
-- max_age_years, both inclusive).
-- Reads: stg_patients, params.
-- Age is in completed years on the as-of date: a patient is 75 until the day before the
-- 76th birthday, so still met. Where only birth_year is released the age is one of two
-- values (age_low, age_high = age_low + 1): met if both are in the range, not_met if
-- neither is, otherwise unknown.
with limits as (
    select
        param('inc_age', 'min_age_years') as min_age,
        param('inc_age', 'max_age_years') as max_age,
        as_of() as as_of
),

ages as (
    select
        p.patient_id,
        l.min_age,
        l.max_age,
        l.as_of,
        p.birth_date is not null as exact,
        -- completed years (macro completed_years: a 29 February birthday completes on 1 March)
        coalesce(
            completed_years(p.birth_date, l.as_of),
            year(l.as_of) - p.birth_year - 1
        ) as age_low,
        coalesce(
            completed_years(p.birth_date, l.as_of),
            year(l.as_of) - p.birth_year
        ) as age_high
    from stg_patients as p
    cross join limits as l
),

judged as (
    select
        *,
        case
            when age_low >= min_age and age_high <= max_age then 'met'
            when age_high < min_age or age_low > max_age then 'not_met'
            else 'unknown'
        end as status,
        case
            when age_high < min_age then ' < ' || fmt_num(min_age)
            when age_low > max_age then ' > ' || fmt_num(max_age)
            when age_low >= min_age and age_high <= max_age
                then ' in ' || fmt_num(min_age) || '..' || fmt_num(max_age)
            else ' vs ' || fmt_num(min_age) || '..' || fmt_num(max_age)
        end as verdict
    from ages
),

final as (
    select
        patient_id,
        'inc_age' as criterion_id,
        status,
        case
            when exact
                then 'age ' || age_low || ' on ' || as_of_text() || verdict
            else
                'age ' || age_low || ' or ' || age_high || ' on '
                || as_of_text() || ' (only the birth year is known)' || verdict
        end as evidence,
        -- age is not a dated record: no evidence date (the birth date is not shown)
        cast(null as date) as evidence_date
    from judged
)

-- changes_on: the next birthday (next 1 January when only the birth year is known)
select
    f.*,
    b.changes_on
from final as f
left join birthday_changes() as b on f.patient_id = b.patient_id
