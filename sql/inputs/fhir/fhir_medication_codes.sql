-- fhir_medication_codes: one row per way of pointing at a Medication resource of the
-- drop ('Medication/<id>' and its fullUrl), with its code (a CodeableConcept).
-- Reads: _fhir_drop_resources (temp table: resource JSON and fullUrl of every
-- Medication in every FHIR file of the drop, built before the files are loaded).
-- A MedicationRequest or MedicationStatement in one file may name a Medication in another
-- (bulk data puts each resource type in its own file).
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with medications as (
    select
        full_url,
        json_extract_string(resource, '$.id') as medication_id,
        from_json(
            json_extract(resource, '$.code'),
            '{"coding": [{"system": "VARCHAR", "code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"}'
        ) as code
    from _fhir_drop_resources
),

final as (
    select
        'Medication/' || medication_id as reference,
        any_value(code) as code
    from medications
    where medication_id is not null
    group by medication_id
    union all
    select
        full_url as reference,
        any_value(code) as code
    from medications
    where full_url is not null
    group by full_url
)

select * from final
