-- omop_measurement: MEASUREMENT rows as contract labs rows (text, checked after).
-- Grain: one row per usable code of a MEASUREMENT row of `_incoming` (text columns and
-- `_line`): the source and the standard concept when both are LOINC (or a site's SCORE
-- vocabulary) and differ; one row with `_why` when neither is.
-- Reads: _incoming, omop_concept; codes through omop_concept_codes (its own file).
-- The CTE `rows` is read by name by omop_concept_codes (hence noqa ST03).
-- Values: value_as_number; with an operator_concept_id other than '=' (its concept name
-- is the sign: '<', '<=', '>', '>='), the result is text as the contract writes it ('<0.5')
-- so staging keeps the comparator. No number: the name of value_as_concept_id
-- ('Positive', 'Not detected', ...), else value_source_value. unit: the UCUM code of
-- unit_concept_id (concept_code), else unit_source_value when the concept is 0 or not in
-- CONCEPT. ref_low / ref_high: range_low / range_high, in the row's unit.
with rows as (  -- noqa: ST03
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.measurement_date), ''), nullif(trim(r.measurement_datetime), ''))
            as result_date,
        nullif(trim(r.value_as_number), '') as number_text,
        op.concept_name as operator,
        coalesce(trim(op.concept_name), '=') not in ('=', '')
        and nullif(trim(r.value_as_number), '') is not null as has_comparator,
        val.concept_name as value_concept,
        nullif(trim(r.value_source_value), '') as value_source_value,
        coalesce(unit.concept_code, nullif(trim(r.unit_source_value), '')) as unit,
        nullif(trim(r.range_low), '') as ref_low,
        nullif(trim(r.range_high), '') as ref_high,
        r.measurement_concept_id as concept_id,
        r.measurement_source_concept_id as source_concept_id,
        r.measurement_source_value as source_value
    from _incoming as r
    left join omop_concept as op on omop_id(r.operator_concept_id) = op.concept_id
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
        case when not has_comparator then number_text end as value_num,
        case
            when has_comparator then trim(operator) || number_text
            when number_text is null then coalesce(value_concept, value_source_value)
        end as value_text,
        unit,
        ref_low,
        ref_high,
        _why
    from omop_concept_codes('rows', ['LOINC', 'SCORE'], 'measurement', 'LOINC or a SCORE vocabulary')
)

select * from final
