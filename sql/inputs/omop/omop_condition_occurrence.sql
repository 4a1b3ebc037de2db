-- omop_condition_occurrence: CONDITION_OCCURRENCE rows as contract diagnoses rows.
-- Grain: one row per usable code of a CONDITION_OCCURRENCE row of `_incoming` (text
-- columns and `_line`): the source concept (ICD-10-CM as the site recorded it) and the
-- standard concept (SNOMED CT) are two rows of the same line when both are diagnosis code
-- systems and differ, so a value set matches either; one row with `_why` when neither is.
-- Reads: _incoming, omop_concept, omop_maps_to.
-- A condition_concept_id of 0 (unmapped) loses nothing: the source concept is used, and
-- when only the source concept is set, its standard comes from its 'Maps to'
-- relationship. diagnosis_date: condition_start_date (else the datetime's date). source:
-- the name of condition_type_concept_id ('EHR encounter diagnosis', ...).
with rows as (
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.condition_start_date), ''), nullif(trim(r.condition_start_datetime), ''))
            as diagnosis_date,
        r.condition_source_value as source_value,
        src.vocabulary_id as src_vocabulary,
        src.concept_code as src_code,
        std.vocabulary_id as std_vocabulary,
        std.concept_code as std_code,
        typ.concept_name as source
    from _incoming as r
    left join omop_concept as src on omop_id(r.condition_source_concept_id) = src.concept_id
    left join omop_maps_to as m
        on omop_id(r.condition_concept_id) is null and src.concept_id = m.concept_id_1
    left join omop_concept as std
        on coalesce(omop_id(r.condition_concept_id), m.concept_id_2) = std.concept_id
    left join omop_concept as typ on omop_id(r.condition_type_concept_id) = typ.concept_id
),

coded as (
    select
        *,
        omop_codes(src_vocabulary, src_code, std_vocabulary, std_code, ['ICD10CM', 'ICD9CM', 'SNOMEDCT'])
            as codes
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
        diagnosis_date,
        source,
        case
            when len(codes) = 0 then omop_no_code_reason(
                'condition', src_vocabulary, src_code, std_vocabulary, std_code, source_value,
                'ICD10CM, ICD9CM or SNOMED'
            )
        end as _why
    from exploded
)

select * from final
