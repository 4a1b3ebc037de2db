-- omop_observation: OBSERVATION rows as contract labs rows (text, checked after).
-- Grain: one row per usable code of an OBSERVATION row of `_incoming` (text columns and
-- `_line`), as omop_measurement.sql: sites keep scores and some qualitative results here.
-- Reads: _incoming, omop_concept, omop_maps_to.
-- Only LOINC (or a site's SCORE vocabulary) observations are labs; any other observation
-- (social history, SNOMED findings) is quarantined with its concepts named. Values:
-- value_as_number, else value_as_string, else the name of value_as_concept_id. unit: the
-- UCUM code of unit_concept_id, else unit_source_value. OBSERVATION has no operator and
-- no reference range.
with rows as (
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.observation_date), ''), nullif(trim(r.observation_datetime), ''))
            as result_date,
        nullif(trim(r.value_as_number), '') as value_num,
        coalesce(nullif(trim(r.value_as_string), ''), val.concept_name) as value_text,
        coalesce(unit.concept_code, nullif(trim(r.unit_source_value), '')) as unit,
        r.observation_source_value as source_value,
        src.vocabulary_id as src_vocabulary,
        src.concept_code as src_code,
        std.vocabulary_id as std_vocabulary,
        std.concept_code as std_code
    from _incoming as r
    left join omop_concept as src on omop_id(r.observation_source_concept_id) = src.concept_id
    left join omop_maps_to as m
        on omop_id(r.observation_concept_id) is null and src.concept_id = m.concept_id_1
    left join omop_concept as std
        on coalesce(omop_id(r.observation_concept_id), m.concept_id_2) = std.concept_id
    left join omop_concept as val on omop_id(r.value_as_concept_id) = val.concept_id
    left join omop_concept as unit on omop_id(r.unit_concept_id) = unit.concept_id
),

coded as (
    select
        *,
        omop_codes(src_vocabulary, src_code, std_vocabulary, std_code, ['LOINC', 'SCORE']) as codes
    from rows
),

exploded as (
    -- one row per usable code; a row without one keeps its first concept, to be quarantined
    select
        *,
        unnest(list_transform(choices, lambda c: c.code_system)) as code_system,
        unnest(list_transform(choices, lambda c: c.code)) as code
    from (
        select
            *,
            case
                when len(codes) > 0 then codes
                else [{
                    'code_system': coalesce(src_vocabulary, std_vocabulary),
                    'code': coalesce(src_code, std_code)
                }]
            end as choices
        from coded
    ) as c
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
        case
            when len(codes) = 0 then omop_no_code_reason(
                'observation', src_vocabulary, src_code, std_vocabulary, std_code, source_value,
                'LOINC or a SCORE vocabulary'
            )
        end as _why
    from exploded
)

select * from final
