-- omop_procedure_occurrence: PROCEDURE_OCCURRENCE rows as contract procedures rows.
-- Grain: one row per usable code of a PROCEDURE_OCCURRENCE row of `_incoming` (text
-- columns and `_line`): the source and the standard concept when both are SNOMED CT,
-- ICD-10-PCS, CPT4 or HCPCS and differ; one row with `_why` when neither is.
-- Reads: _incoming; codes through omop_concept_codes (its own file).
-- The CTE `rows` is read by name by omop_concept_codes (hence noqa ST03).
-- procedure_date: procedure_date (else the datetime's date). modifier, quantity and
-- procedure_end_date are not read (the contract has no column for them).
with rows as (  -- noqa: ST03
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.procedure_date), ''), nullif(trim(r.procedure_datetime), ''))
            as procedure_date,
        r.procedure_concept_id as concept_id,
        r.procedure_source_concept_id as source_concept_id,
        r.procedure_source_value as source_value
    from _incoming as r
),

final as (
    -- distinct: a source concept that maps to several standards repeats its own code
    select distinct
        _line,
        patient_id,
        code_system,
        code,
        procedure_date,
        _why
    from omop_concept_codes(
        'rows', ['SNOMEDCT', 'ICD10PCS', 'CPT4', 'HCPCS'], 'procedure', 'SNOMED, ICD10PCS, CPT4 or HCPCS'
    )
)

select * from final
