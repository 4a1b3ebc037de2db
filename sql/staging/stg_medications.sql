-- stg_medications: one row per distinct order or administration, with its ingredient.
-- Reads: raw_medications, stg_retired_loads, ref_drug_ingredients, ref_ingredient_names,
-- ref_frequencies, ref_dose_units, ref_glucocorticoid_equivalence.
-- The ingredient comes from the code (RxNorm or ATC value set); only when the code is
-- not in the value set is the drug name searched for an ingredient name (whole words,
-- so 'methylprednisolone' is not 'prednisolone'). daily_dose_mg = dose in mg x
-- administrations per day; it is NULL for PRN, ONCE or an unknown frequency or unit.
-- A weight-based order (dose_unit mg/kg) has daily_dose_mg_per_kg instead, and its
-- glucocorticoid equivalent is prednisone_equivalent_mg_per_kg (mg/kg/day).
-- Natural key: patient_id, code_system, code, start_date, end_date, dose, frequency.
with deduplicated as (
    select
        *,
        norm_code_system(code_system) as system_norm,
        norm_code(code_system, code) as code_norm
    from raw_medications
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
    qualify row_number() over (
        partition by
            patient_id, system_norm, code_norm, start_date, end_date,
            dose_value, dose_unit, frequency
        order by _load_id desc, _line desc
    ) = 1
),

by_code as (
    select
        d.*,
        i.ingredient as code_ingredient
    from deduplicated as d
    left join ref_drug_ingredients as i
        on d.system_norm = i.code_system and d.code_norm = i.code
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

dosed as (
    select
        b.*,
        coalesce(b.code_ingredient, b.name_ingredient) as ingredient,
        case
            when b.code_ingredient is not null then 'code'
            when b.name_ingredient is not null then 'drug_name'
        end as resolved_by,
        b.dose_value * u.mg_factor::double * f.per_day::double as daily_dose_mg,
        case
            when lower(trim(b.dose_unit)) = 'mg/kg'
                then b.dose_value * f.per_day::double
        end as daily_dose_mg_per_kg
    from by_name as b
    left join ref_dose_units as u on lower(trim(b.dose_unit)) = u.unit
    left join ref_frequencies as f on upper(trim(b.frequency)) = f.frequency
),

final as (
    select
        d.patient_id,
        d.system_norm as code_system,
        d.code_norm as code,
        d.drug_name,
        d.ingredient,
        d.resolved_by,
        d.start_date,
        d.end_date,
        d.dose_value,
        d.dose_unit,
        upper(trim(d.frequency)) as frequency,
        lower(trim(d.route)) as route,
        d.daily_dose_mg,
        d.daily_dose_mg_per_kg,
        d.daily_dose_mg * g.prednisone_mg_per_mg::double as prednisone_equivalent_mg,
        d.daily_dose_mg_per_kg * g.prednisone_mg_per_mg::double as prednisone_equivalent_mg_per_kg,
        d._load_id,
        d._line
    from dosed as d
    left join ref_glucocorticoid_equivalence as g on d.ingredient = g.ingredient
)

select * from final
