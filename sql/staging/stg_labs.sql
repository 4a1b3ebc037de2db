-- stg_labs: one row per distinct result, in the canonical unit of its measure.
-- Reads: raw_labs, stg_retired_loads, ref_measures, ref_unit_conversions,
-- ref_qualitative_terms, ref_plausible_ranges (the range checks of
-- expectations/stg_labs.toml).
-- value is NULL when the unit is missing or unknown for the measure (unit_status says
-- which): such a result is never compared with a threshold. implausible is true when
-- value lies outside its measure's plausible range: the row is kept and flagged, and
-- criteria never read its value (latest_result says the latest result is implausible).
-- '<5' is kept as comparator '<' and value 5. unit_reported is the unit as delivered,
-- NULL for a result without a number (its unit still converts ref_low and ref_high).
-- Natural key: patient_id, code_system,
-- code, result_date, value_num, value_text, unit (a result delivered again counts once:
-- the latest load and line win).
-- Cost: codes, units and texts are normalised and matched once per distinct spelling (a
-- few hundred) and joined back by the spelling; duplicates are looked for only among the
-- rows whose hash of the key without the code is seen twice, so no sort or window runs
-- over the whole table.
with kept as not materialized (
    select
        *,
        rowid as row_id
    from raw_labs
    -- rows of a file retired by a later full refresh are left out
    where _load_id not in (select r.load_id from stg_retired_loads as r)
),

reported_codes as (
    select distinct
        code_system,
        code,
        unit
    from kept
),

codes as (
    -- one row per (code_system, code, unit) as reported: the normalised code, its
    -- measure and the factor to the measure's canonical unit
    select
        r.code_system as reported_system,
        r.code as reported_code,
        r.unit as reported_unit,
        norm_code_system(r.code_system) as code_system,
        upper(trim(r.code)) as code
    from reported_codes as r
),

measured as (
    select
        c.*,
        m.measure,
        m.short_name,
        m.canonical_unit,
        coalesce(norm_unit(c.reported_unit), norm_unit(m.unit_if_missing)) as unit_norm
    from codes as c
    left join ref_measures as m
        on c.code_system = m.code_system and c.code = m.code
),

plausible as (
    -- per measure, the narrowest range of the range checks naming it or every measure
    select
        m.measure,
        max(r.min_value) as plausible_low,
        min(r.max_value) as plausible_high
    from (select distinct rm.measure from ref_measures as rm) as m
    inner join ref_plausible_ranges as r
        on r.measure is null or m.measure = r.measure
    group by m.measure
),

converted as (
    select
        me.*,
        u.factor::double as factor,
        pl.plausible_low,
        pl.plausible_high
    from measured as me
    left join ref_unit_conversions as u
        on me.measure = u.measure and me.unit_norm = u.unit
    left join plausible as pl on me.measure = pl.measure
),

reported_texts as (
    select distinct value_text
    from kept
    where value_text is not null
),

texts as (
    -- one row per value_text as reported: comparator, number and qualitative result
    select
        t.value_text,
        nullif(regexp_extract(t.value_text, '^\s*(<=|>=|<|>)', 1), '') as comparator,
        parse_num(regexp_replace(t.value_text, '^\s*(<=|>=|<|>|=)?\s*', '')) as text_number,
        q.result as qualitative
    from reported_texts as t
    left join ref_qualitative_terms as q
        on lower(trim(t.value_text)) = q.term
),

hashed as (
    select hash(patient_id, result_date, value_num, value_text, unit) as key_hash
    from kept
),

repeated as (
    -- hashes seen more than once: every duplicated key is among them (rows equal on
    -- the key are equal on these columns), with a few rows that differ only by code.
    -- Sorting the hashes costs less than grouping ten million distinct ones.
    select key_hash
    from hashed
    qualify lag(key_hash) over (order by key_hash) = key_hash
),

superseded as (
    -- rows whose natural key a later load or line delivered again
    select k.row_id
    from kept as k
    inner join codes as c
        on
            k.code_system = c.reported_system
            and k.code = c.reported_code
            and k.unit is not distinct from c.reported_unit
    where
        hash(k.patient_id, k.result_date, k.value_num, k.value_text, k.unit)
        in (select rp.key_hash from repeated as rp)
    qualify row_number() over (
        partition by
            k.patient_id, c.code_system, c.code, k.result_date,
            k.value_num, k.value_text, k.unit
        order by k._load_id desc, k._line desc
    ) > 1
),

final as (
    select
        k.patient_id,
        c.code_system,
        c.code,
        c.measure,
        c.short_name,
        k.result_date,
        round(coalesce(k.value_num, t.text_number) * c.factor, 6) as value,
        t.comparator,
        c.canonical_unit as unit,
        t.qualitative,
        round(k.ref_low * c.factor, 6) as ref_low,
        round(k.ref_high * c.factor, 6) as ref_high,
        coalesce(k.value_num, t.text_number) as value_reported,
        k.value_text,
        -- a unit qualifies a number: a result with none ('Not detected') has no unit to
        -- show, whatever the file gave (FHIR's valueString and valueCodeableConcept carry
        -- none, OMOP's unit_concept_id is that of value_as_number)
        case when coalesce(k.value_num, t.text_number) is not null then k.unit end as unit_reported,
        case
            when c.measure is null then 'unknown_code'
            when coalesce(k.value_num, t.text_number) is null then 'no_number'
            when c.unit_norm is null then 'missing_unit'
            when c.factor is null then 'unknown_unit'
            else 'ok'
        end as unit_status,
        coalesce(
            round(coalesce(k.value_num, t.text_number) * c.factor, 6) < c.plausible_low
            or round(coalesce(k.value_num, t.text_number) * c.factor, 6) > c.plausible_high,
            false
        ) as implausible,
        k._load_id,
        k._line
    from kept as k
    inner join converted as c
        on
            k.code_system = c.reported_system
            and k.code = c.reported_code
            and k.unit is not distinct from c.reported_unit
    left join texts as t on k.value_text = t.value_text
    where not exists (
        select 1
        from superseded as s
        where s.row_id = k.row_id
    )
)

select * from final
