-- stg_medications: one row per distinct order or administration, with its ingredient.
-- Reads: raw_medications, stg_retired_loads, ref_drug_ingredients, ref_ingredient_names,
-- ref_frequencies, ref_dose_units, ref_dose_forms, ref_glucocorticoid_equivalence,
-- ref_plausible_doses.
-- The ingredient comes from the code (RxNorm or ATC value set); only when the code is
-- not in the value set is the drug name searched for an ingredient name (whole words,
-- so 'methylprednisolone' is not 'prednisolone'). daily_dose_mg = dose in mg x
-- administrations per day; it is NULL for PRN, ONCE or an unknown frequency or unit. A
-- dose counted in tablets or capsules (ref_dose_forms) takes its mg per tablet from the
-- drug name when the name gives exactly one strength in mg and no concentration
-- ('prednisone 5 MG Oral Tablet', 2 tablets = 10 mg; never 'MG/ML').
-- A weight-based order (dose_unit mg/kg) has daily_dose_mg_per_kg instead, and its
-- glucocorticoid equivalent is prednisone_equivalent_mg_per_kg (mg/kg/day).
-- prednisone_equivalent_mg_computed is the mg/day prednisone-equivalent as computed;
-- dose_implausible is true when it lies outside the plausible range (ref_plausible_doses:
-- the range check of expectations/stg_medications.toml, a unit error such as ug or g
-- read as mg), and then prednisone_equivalent_mg, the column criteria read, is NULL: the
-- row is kept and flagged, and its dose never decides.
-- Natural key: patient_id, code_system, code, start_date, end_date, dose, frequency
-- (the latest load and line win).
-- Cost: codes, drug names, units, frequencies and routes are resolved once per distinct
-- spelling and joined back; duplicates are looked for only among the rows whose hash of
-- the key without the code is seen twice.
with kept as not materialized (
    select
        *,
        rowid as row_id
    from raw_medications
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

reported_drugs as (
    select distinct
        code_system,
        code,
        drug_name
    from kept
),

codes as (
    -- one row per (code_system, code, drug_name) as reported, normalised
    select
        code_system as reported_system,
        code as reported_code,
        drug_name,
        norm_code_system(code_system) as code_system,
        norm_code(code_system, code) as code
    from reported_drugs
),

by_code as (
    select
        c.*,
        i.ingredient as code_ingredient
    from codes as c
    left join ref_drug_ingredients as i
        on c.code_system = i.code_system and c.code = i.code
),

by_name as (
    -- Fallback for codes outside the value set: the longest ingredient name found.
    select
        b.*,
        (
            select n.ingredient
            from ref_ingredient_names as n
            where regexp_matches(lower(b.drug_name), '\b' || n.name || '\b')
            order by length(n.name) desc
            limit 1
        ) as name_ingredient
    from by_code as b
),

drugs as (
    select
        b.reported_system,
        b.reported_code,
        b.drug_name,
        b.code_system,
        b.code,
        coalesce(b.code_ingredient, b.name_ingredient) as ingredient,
        case
            when b.code_ingredient is not null then 'code'
            when b.name_ingredient is not null then 'drug_name'
        end as resolved_by,
        g.prednisone_mg_per_mg::double as prednisone_mg_per_mg,
        -- mg in one tablet or capsule: the name's one strength in mg, when it has no other
        case
            when
                len(regexp_extract_all(lower(b.drug_name), '\d+(?:\.\d+)?\s*mg\b')) = 1
                and not regexp_matches(lower(b.drug_name), 'mg\s*/')
                then try_cast(regexp_extract(lower(b.drug_name), '(\d+(?:\.\d+)?)\s*mg\b', 1) as double)
        end as mg_per_dose_form
    from by_name as b
    left join ref_glucocorticoid_equivalence as g
        on coalesce(b.code_ingredient, b.name_ingredient) = g.ingredient
),

reported_doses as (
    select distinct
        dose_unit,
        frequency,
        route
    from kept
),

doses as (
    -- one row per (dose_unit, frequency, route) as reported: mg per unit, times a day
    select
        r.dose_unit,
        r.frequency as reported_frequency,
        r.route as reported_route,
        upper(trim(r.frequency)) as frequency,
        lower(trim(r.route)) as route,
        u.mg_factor::double as mg_factor,
        f.per_day::double as per_day,
        lower(trim(r.dose_unit)) = 'mg/kg' as per_kg,
        df.unit is not null as per_dose_form
    from reported_doses as r
    left join ref_dose_units as u on lower(trim(r.dose_unit)) = u.unit
    left join ref_dose_forms as df on lower(trim(r.dose_unit)) = df.unit
    left join ref_frequencies as f on upper(trim(r.frequency)) = f.frequency
),

repeated as (
    -- hashes seen more than once: every duplicated key is among them
    select hash(patient_id, start_date, end_date, dose_value, dose_unit, frequency) as key_hash
    from kept
    group by key_hash
    having count(*) > 1
),

superseded as (
    -- rows whose natural key a later load or line delivered again
    select k.row_id
    from kept as k
    inner join codes as c
        on
            k.code_system = c.reported_system
            and k.code = c.reported_code
            and k.drug_name is not distinct from c.drug_name
    where
        hash(k.patient_id, k.start_date, k.end_date, k.dose_value, k.dose_unit, k.frequency)
        in (select rp.key_hash from repeated as rp)
    qualify row_number() over (
        partition by
            k.patient_id, c.code_system, c.code, k.start_date, k.end_date,
            k.dose_value, k.dose_unit, k.frequency
        order by k._load_id desc, k._line desc
    ) > 1
),

resolved as (
    select
        k.patient_id,
        d.code_system,
        d.code,
        k.drug_name,
        d.ingredient,
        d.resolved_by,
        k.start_date,
        k.end_date,
        k.dose_value,
        k.dose_unit,
        o.frequency,
        o.route,
        k.dose_value * coalesce(o.mg_factor, if(o.per_dose_form, d.mg_per_dose_form, null)) * o.per_day
            as daily_dose_mg,
        case when o.per_kg then k.dose_value * o.per_day end as daily_dose_mg_per_kg,
        k.dose_value * coalesce(o.mg_factor, if(o.per_dose_form, d.mg_per_dose_form, null)) * o.per_day
        * d.prednisone_mg_per_mg as prednisone_equivalent_mg_computed,
        case
            when o.per_kg then k.dose_value * o.per_day
        end * d.prednisone_mg_per_mg as prednisone_equivalent_mg_per_kg,
        k._load_id,
        k._line
    from kept as k
    inner join drugs as d
        on
            k.code_system = d.reported_system
            and k.code = d.reported_code
            and k.drug_name is not distinct from d.drug_name
    inner join doses as o
        on
            k.dose_unit is not distinct from o.dose_unit
            and k.frequency is not distinct from o.reported_frequency
            and k.route is not distinct from o.reported_route
    where not exists (
        select 1
        from superseded as s
        where s.row_id = k.row_id
    )
),

dose_range as (
    -- the narrowest range of the suite's checks (none: every dose is plausible)
    select
        max(min_value) as min_value,
        min(max_value) as max_value
    from ref_plausible_doses
),

flagged as (
    select
        r.*,
        coalesce(
            r.prednisone_equivalent_mg_computed < g.min_value
            or r.prednisone_equivalent_mg_computed > g.max_value,
            false
        ) as dose_implausible
    from resolved as r
    cross join dose_range as g
),

final as (
    select
        f.* exclude (f.prednisone_equivalent_mg_computed, f.dose_implausible, f._load_id, f._line),
        if(f.dose_implausible, null, f.prednisone_equivalent_mg_computed) as prednisone_equivalent_mg,
        f.prednisone_equivalent_mg_computed,
        f.dose_implausible,
        f._load_id,
        f._line
    from flagged as f
)

select * from final
