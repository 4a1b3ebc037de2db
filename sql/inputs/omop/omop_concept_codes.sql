-- omop_concept_codes: the codes a row of a CDM clinical table loads under, as a table
-- macro shared by the mapping views (omop_condition_occurrence, omop_measurement,
-- omop_observation, omop_drug_exposure, omop_procedure_occurrence).
-- Grain: one row per usable code of a row of `rel` (the name of the caller's CTE or
-- table, with the text columns concept_id, source_concept_id and source_value: e.g.
-- condition_concept_id, condition_source_concept_id and condition_source_value renamed);
-- one row with `_why` (the quarantine reason) when the row has none.
-- Reads: rel, omop_concept (the site's CONCEPT), omop_maps_to (its valid 'Maps to'
-- relationships); macros omop_id, omop_codes, omop_no_code_reason (omop_macros.sql).
-- The source concept (what the site recorded) and the standard concept are both looked
-- up; a concept_id of 0 (unmapped) takes the standard the source concept 'Maps to'. Each
-- whose vocabulary is one of `accepted` (omop_codes) is a row of its own, so a value set
-- written in either system matches; a row with neither keeps its first concept, to be
-- quarantined with the reason of omop_no_code_reason(`field`, ..., `expected`). A source
-- concept that maps to several standards repeats its own code: callers select distinct.
-- Added columns: src_vocabulary, src_code, src_name, std_vocabulary, std_code, std_name,
-- codes, code_system, code, _why.
create or replace macro omop_concept_codes(rel, accepted, field, expected) as table
    with looked_up as (
        select
            r.*,
            src.vocabulary_id as src_vocabulary,
            src.concept_code as src_code,
            src.concept_name as src_name,
            std.vocabulary_id as std_vocabulary,
            std.concept_code as std_code,
            std.concept_name as std_name
        from query_table(rel) as r  -- noqa: RF02
        left join omop_concept as src on omop_id(r.source_concept_id) = src.concept_id
        left join omop_maps_to as m
            on omop_id(r.concept_id) is null and src.concept_id = m.concept_id_1
        left join omop_concept as std
            on coalesce(omop_id(r.concept_id), m.concept_id_2) = std.concept_id
    ),

    coded as (
        select
            *,
            omop_codes(src_vocabulary, src_code, std_vocabulary, std_code, accepted) as codes
        from looked_up
    ),

    choices as (
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
    )

    select
        * exclude (choices),
        unnest(list_transform(choices, lambda c: c.code_system)) as code_system,
        unnest(list_transform(choices, lambda c: c.code)) as code,
        case
            when len(codes) = 0 then omop_no_code_reason(
                field, src_vocabulary, src_code, std_vocabulary, std_code, source_value, expected
            )
        end as _why
    from choices
