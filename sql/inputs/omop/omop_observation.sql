-- omop_observation: OBSERVATION rows as contract labs rows (text, checked after).
-- Grain: one row per usable code of an OBSERVATION row of `_incoming` (text columns and
-- `_line`), as omop_measurement.sql: sites keep scores and some qualitative results here.
-- Reads: _incoming, omop_concept; codes through omop_concept_codes (its own file).
-- The CTE `rows` is read by name by omop_concept_codes (hence noqa ST03).
-- Only LOINC (or a site's SCORE vocabulary) observations are labs; any other observation
-- (social history, SNOMED findings) is quarantined with its concepts named. Values:
-- value_as_number, else value_as_string, else the name of value_as_concept_id. unit: the
-- UCUM code of unit_concept_id, else unit_source_value. OBSERVATION has no operator and
-- no reference range.
with rows as (  -- noqa: ST03
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.observation_date), ''), nullif(trim(r.observation_datetime), ''))
            as result_date,
        nullif(trim(r.value_as_number), '') as value_num,
        coalesce(nullif(trim(r.value_as_string), ''), val.concept_name) as value_text,
        coalesce(unit.concept_code, nullif(trim(r.unit_source_value), '')) as unit,
        r.observation_concept_id as concept_id,
        r.observation_source_concept_id as source_concept_id,
        r.observation_source_value as source_value
    from _incoming as r
    left join omop_concept as val on omop_id(r.value_as_concept_id) = val.concept_id
    left join omop_concept as unit on omop_id(r.unit_concept_id) = unit.concept_id
),

final as (
    -- distinct: a source concept that maps to several standards repeats its own code
    select distinct
        _line,
        patient_id,
        code_system,
        code,
        result_date,
        value_num,
        case when value_num is null then value_text end as value_text,
        unit,
        cast(null as varchar) as ref_low,
        cast(null as varchar) as ref_high,
        _why
    from omop_concept_codes('rows', ['LOINC', 'SCORE'], 'observation', 'LOINC or a SCORE vocabulary')
)

select * from final
