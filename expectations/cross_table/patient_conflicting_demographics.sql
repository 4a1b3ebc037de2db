-- patient_conflicting_demographics: patients delivered with two sexes or two births.
-- Grain: one row per patient and conflicting attribute ('sex' or 'birth'), located at
-- the patient's latest delivered record (the one stg_patients keeps).
-- Reads: raw_patients, stg_retired_loads (rows of loads a full refresh retired are left
-- out, as stg_patients leaves them out).
-- Sex is compared as stg_patients normalises it, and 'U' (unknown) conflicts with
-- nothing. A birth date and a birth year alone agree when the years agree.
with normalised as (
    select
        patient_id,
        _load_id,
        _line,
        nullif(upper(left(trim(sex), 1)), 'U') as sex,
        birth_date,
        coalesce(year(birth_date), birth_year) as birth_year
    from raw_patients
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

by_patient as (
    select
        patient_id,
        count(distinct sex) as sexes,
        greatest(count(distinct birth_date), count(distinct birth_year)) as births,
        arg_max(_load_id, _load_id * 1e12 + _line) as _load_id,
        arg_max(_line, _load_id * 1e12 + _line) as _line
    from normalised
    group by patient_id
),

conflicts as (
    select
        _load_id,
        _line,
        'sex' as attribute
    from by_patient
    where sexes > 1
    union all
    select
        _load_id,
        _line,
        'birth' as attribute
    from by_patient
    where births > 1
),

final as (
    select
        _load_id,
        _line,
        attribute
    from conflicts
    order by _load_id, _line, attribute
)

select * from final
