-- concepts: every concept the rendered CDM names, one row per (role, vocabulary, code, name).
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
-- role says what the concept names: a code of a kind, a drug (one concept per code and
-- drug name, as a clinical drug), a unit (UCUM), a qualitative value, a comparator, a
-- route, a diagnosis source. Ids start at getvariable('first_concept_id'), the CDM's range
-- for site concepts. SNOMED, LOINC, RxNorm and CVX codes are standard concepts.
with needed as (
    select distinct
        'code' as role,
        code_system as vocabulary_id,
        code as concept_code,
        code as concept_name,
        'Condition' as domain_id
    from c_diagnoses
    where code is not null
    union all
    select distinct
        'code' as role,
        code_system as vocabulary_id,
        code as concept_code,
        code as concept_name,
        'Procedure' as domain_id
    from c_procedures
    where code is not null
    union all
    select distinct
        'code' as role,
        code_system as vocabulary_id,
        code as concept_code,
        code as concept_name,
        'Measurement' as domain_id
    from c_labs
    where code is not null
    union all
    select distinct
        'unit' as role,
        'UCUM' as vocabulary_id,
        unit as concept_code,
        unit as concept_name,
        'Unit' as domain_id
    from c_labs
    where unit is not null
    union all
    select distinct
        'value' as role,
        'Meas Value' as vocabulary_id,
        value_text as concept_code,
        value_text as concept_name,
        'Meas Value' as domain_id
    from c_labs
    where
        value_num is null and value_text is not null
        and not regexp_matches(value_text, getvariable('comparator'))
    union all
    select distinct
        'operator' as role,
        'Meas Value Operator' as vocabulary_id,
        regexp_extract(value_text, getvariable('comparator'), 1) as concept_code,
        regexp_extract(value_text, getvariable('comparator'), 1) as concept_name,
        'Meas Value Operator' as domain_id
    from c_labs
    where value_num is null and regexp_matches(value_text, getvariable('comparator'))
    union all
    select distinct
        'drug' as role,
        code_system as vocabulary_id,
        code as concept_code,
        coalesce(drug_name, code) as concept_name,
        'Drug' as domain_id
    from c_medications
    where code is not null
    union all
    select distinct
        'route' as role,
        'Route' as vocabulary_id,
        route as concept_code,
        route as concept_name,
        'Route' as domain_id
    from c_medications
    where route is not null
    union all
    select distinct
        'type' as role,
        'Type Concept' as vocabulary_id,
        source as concept_code,
        source as concept_name,
        'Type Concept' as domain_id
    from c_diagnoses
    where source is not null
),

final as (
    select
        *,
        getvariable('first_concept_id')
        + row_number() over (order by role, vocabulary_id, concept_code, concept_name) as concept_id,
        role in ('code', 'drug')
        and upper(regexp_replace(coalesce(vocabulary_id, ''), '[^A-Za-z]', '', 'g'))
        in ('SNOMED', 'SNOMEDCT', 'LOINC', 'RXNORM', 'CVX') as standard
    from needed
)

select * from final
