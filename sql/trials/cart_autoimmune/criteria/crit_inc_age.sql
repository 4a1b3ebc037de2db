-- crit_inc_age: one row per patient; inclusion inc_age (age >= min_age_years).
-- Reads: stg_patients, params.
-- Age is in completed years on the as-of date. Where only birth_year is released the
-- age is known within one year: met if old enough even when born on 31 December,
-- not_met if too young even when born on 1 January, otherwise unknown.
with limits as (
    select
        param('inc_age', 'min_age_years') as min_age,
        as_of() as as_of
),

ages as (
    select
        p.patient_id,
        l.min_age,
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

final as (
    select
        patient_id,
        'inc_age' as criterion_id,
        case
            when age_low >= min_age then 'met'
            when age_high < min_age then 'not_met'
            else 'unknown'
        end as status,
        case
            when exact
                then
                    'age ' || age_low || ' on ' || as_of_text()
                    || case when age_low >= min_age then ' >= ' else ' < ' end
                    || fmt_num(min_age)
            else
                'age ' || age_low || ' or ' || age_high || ' on '
                || as_of_text() || ' (only the birth year is known)'
                || case
                    when age_low >= min_age then ' >= '
                    when age_high < min_age then ' < '
                    else ' vs '
                end || fmt_num(min_age)
        end as evidence,
        -- age is not a dated record: no evidence date (the birth date is not shown)
        cast(null as date) as evidence_date
    from ages
)

-- changes_on: the next birthday (next 1 January when only the birth year is known)
select
    f.*,
    b.changes_on
from final as f
left join birthday_changes() as b on f.patient_id = b.patient_id
