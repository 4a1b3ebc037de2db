-- fhir_procedures: one row per Procedure and coding of a known procedure code system
-- (SNOMEDCT, ICD10PCS, CPT4, HCPCS: data/code_systems.csv), in the contract's procedures
-- columns (text, checked next by sql/ingest/check_procedures.sql), with FHIR problems.
-- Reads: fhir_resources, _fhir_code_systems.
-- procedure_date: performedDateTime, else performedPeriod.start (performedString or
-- performedAge give no date). Status not-done or entered-in-error: quarantined, it was
-- not done.
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with procedures as (
    select
        _resource,
        patient_id,
        subject_problem,
        from_json(
            resource,
            '{"status": "VARCHAR", "code": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}]},
              "performedDateTime": "VARCHAR", "performedPeriod": {"start": "VARCHAR"}}'
        ) as p
    from fhir_resources
    where resource_type = 'Procedure'
),

known_codings as (
    select distinct
        k._resource,
        s.code_system,
        k.coding.code
    from (select
        _resource,
        unnest(p.code.coding) as coding
    from procedures) as k
    inner join _fhir_code_systems as s
        on k.coding.system = s.system_uri and list_contains(s.kinds, 'procedures')
    where nullif(trim(k.coding.code), '') is not null
),

final as (
    select
        p._resource,
        p.patient_id,
        k.code_system,
        k.code,
        coalesce(p.p.performedDateTime, p.p.performedPeriod.start) as procedure_date,
        list_filter(
            [
                case
                    when
                        p.subject_problem is not null
                        then { 'column_name': 'patient_id', 'reason': p.subject_problem }
                end,
                case
                    when
                        k.code is null
                        then
                            {
                                'column_name': 'code',
                                'reason': fhir_no_known_coding(
                                    'code', p.p.code.coding, 'SNOMED CT, ICD-10-PCS, CPT or HCPCS'
                                )
                            }
                end,
                case
                    when
                        coalesce(p.p.performedDateTime, p.p.performedPeriod.start) is null
                        then
                            {
                                'column_name': 'procedure_date',
                                'reason': 'no date (expected performedDateTime or performedPeriod.start)'
                            }
                end,
                fhir_date_problem(
                    'procedure_date',
                    'performed[x]',
                    coalesce(p.p.performedDateTime, p.p.performedPeriod.start)
                ),
                case
                    when
                        p.p.status in ('not-done', 'entered-in-error')
                        then { 'column_name': 'code', 'reason': 'status is ' || p.p.status || ' (not done)' }
                end
            ],
            lambda x: x is not null  -- noqa: RF02
        ) as _fhir_problems
    from procedures as p
    left join known_codings as k on p._resource = k._resource
)

select * from final
