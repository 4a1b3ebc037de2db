-- CONCEPT_RELATIONSHIP of the rendered CDM: no rows, the sample's codes are their own
-- concepts (no 'Maps to' needed). Reads nothing.
select
    0 as concept_id_1,
    0 as concept_id_2,
    '' as relationship_id,
    '' as valid_start_date,
    '' as valid_end_date,
    '' as invalid_reason
where false
