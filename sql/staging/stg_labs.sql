-- stg_labs: one row per distinct result, in the canonical unit of its measure.
-- Reads: raw_labs, stg_retired_loads, ref_measures, ref_unit_conversions,
-- ref_qualitative_terms.
-- value is NULL when the unit is missing or unknown for the measure (unit_status says
-- which): such a result is never compared with a threshold. '<5' is kept as comparator
-- '<' and value 5. Natural key: patient_id, code_system, code, result_date, value,
-- unit (a result delivered again counts once).
with deduplicated as (
    select
        *,
        norm_code_system(code_system) as system_norm,
        upper(trim(code)) as code_norm
    from raw_labs
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
    qualify row_number() over (
        partition by
            patient_id, system_norm, code_norm, result_date,
            value_num, value_text, unit
        order by _load_id desc, _line desc
    ) = 1
),

parsed as (
    select
        d.*,
        regexp_extract(d.value_text, '^\s*(<=|>=|<|>)', 1) as text_comparator,
        parse_num(regexp_replace(d.value_text, '^\s*(<=|>=|<|>|=)?\s*', '')) as text_number,
        q.result as qualitative
    from deduplicated as d
    left join ref_qualitative_terms as q
        on lower(trim(d.value_text)) = q.term
),

measured as (
    select
        p.*,
        m.measure,
        m.short_name,
        m.canonical_unit,
        coalesce(norm_unit(p.unit), norm_unit(m.unit_if_missing)) as unit_norm
    from parsed as p
    left join ref_measures as m
        on p.system_norm = m.code_system and p.code_norm = m.code
),

converted as (
    select
        me.*,
        coalesce(me.value_num, me.text_number) as value_reported,
        nullif(me.text_comparator, '') as comparator,
        c.factor::double as factor
    from measured as me
    left join ref_unit_conversions as c
        on me.measure = c.measure and me.unit_norm = c.unit
),

final as (
    select
        patient_id,
        system_norm as code_system,
        code_norm as code,
        measure,
        short_name,
        result_date,
        round(value_reported * factor, 6) as value,
        comparator,
        canonical_unit as unit,
        qualitative,
        round(ref_low * factor, 6) as ref_low,
        round(ref_high * factor, 6) as ref_high,
        value_reported,
        value_text,
        unit as unit_reported,
        case
            when measure is null then 'unknown_code'
            when value_reported is null then 'no_number'
            when unit_norm is null then 'missing_unit'
            when factor is null then 'unknown_unit'
            else 'ok'
        end as unit_status,
        _load_id,
        _line
    from converted
)

select * from final
