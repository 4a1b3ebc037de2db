-- omop_condition_occurrence: CONDITION_OCCURRENCE rows as contract diagnoses rows.
-- Grain: one row per usable code of a CONDITION_OCCURRENCE row of `_incoming` (text
-- columns and `_line`): the source concept (ICD-10-CM as the site recorded it) and the
-- standard concept (SNOMED CT) are two rows of the same line when both are diagnosis code
-- systems and differ, so a value set matches either; one row with `_why` when neither is.
-- Reads: _incoming, omop_concept; codes through omop_concept_codes (its own file).
-- The CTE `rows` is read by name by omop_concept_codes (hence noqa ST03).
-- A condition_concept_id of 0 (unmapped) loses nothing: the source concept is used, and
-- when only the source concept is set, its standard comes from its 'Maps to'
-- relationship. diagnosis_date: condition_start_date (else the datetime's date). source:
-- the name of condition_type_concept_id ('EHR encounter diagnosis', ...).
with rows as (  -- noqa: ST03
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.condition_start_date), ''), nullif(trim(r.condition_start_datetime), ''))
            as diagnosis_date,
        r.condition_concept_id as concept_id,
        r.condition_source_concept_id as source_concept_id,
        r.condition_source_value as source_value,
        typ.concept_name as source
    from _incoming as r
    left join omop_concept as typ on omop_id(r.condition_type_concept_id) = typ.concept_id
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
        _why
    from omop_concept_codes(
        'rows', ['ICD10CM', 'ICD9CM', 'SNOMEDCT'], 'condition', 'ICD10CM, ICD9CM or SNOMED'
    )
)

select * from final
