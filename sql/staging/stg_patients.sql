-- stg_patients: one row per patient (the latest delivered record wins).
-- Reads: raw_patients, stg_retired_loads.
-- sex is normalised to F / M / U; birth_year is filled from birth_date when given, so
-- age rules can fall back on the year alone where only the year is released.
with ranked as (
    select
        *,
        row_number() over (
            partition by patient_id order by _load_id desc, _line desc
        ) as recency
    from raw_patients
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

final as (
    select
        patient_id,
        case upper(left(trim(sex), 1))
            when 'F' then 'F'
            when 'M' then 'M'
            else 'U'
        end as sex,
        birth_date,
        coalesce(year(birth_date), birth_year) as birth_year,
        site_id,
        death_date,
        _load_id,
        _line
    from ranked
    where recency = 1
)

select * from final
