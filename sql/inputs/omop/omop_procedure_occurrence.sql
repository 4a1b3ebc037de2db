-- omop_procedure_occurrence: PROCEDURE_OCCURRENCE rows as contract procedures rows.
-- Grain: one row per usable code of a PROCEDURE_OCCURRENCE row of `_incoming` (text
-- columns and `_line`): the source and the standard concept when both are SNOMED CT,
-- ICD-10-PCS, CPT4 or HCPCS and differ; one row with `_why` when neither is.
-- Reads: _incoming, omop_concept, omop_maps_to.
-- procedure_date: procedure_date (else the datetime's date). modifier, quantity and
-- procedure_end_date are not read (the contract has no column for them).
with rows as (
    select
        r._line,
        nullif(trim(r.person_id), '') as patient_id,
        coalesce(nullif(trim(r.procedure_date), ''), nullif(trim(r.procedure_datetime), ''))
            as procedure_date,
        r.procedure_source_value as source_value,
        src.vocabulary_id as src_vocabulary,
        src.concept_code as src_code,
        std.vocabulary_id as std_vocabulary,
        std.concept_code as std_code
    from _incoming as r
    left join omop_concept as src on omop_id(r.procedure_source_concept_id) = src.concept_id
    left join omop_maps_to as m
        on omop_id(r.procedure_concept_id) is null and src.concept_id = m.concept_id_1
    left join omop_concept as std
        on coalesce(omop_id(r.procedure_concept_id), m.concept_id_2) = std.concept_id
),

coded as (
    select
        *,
        omop_codes(
            src_vocabulary, src_code, std_vocabulary, std_code, ['SNOMEDCT', 'ICD10PCS', 'CPT4', 'HCPCS']
        )
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
        procedure_date,
        case
            when len(codes) = 0 then omop_no_code_reason(
                'procedure', src_vocabulary, src_code, std_vocabulary, std_code, source_value,
                'SNOMED, ICD10PCS, CPT4 or HCPCS'
            )
        end as _why
    from exploded
)

select * from final
