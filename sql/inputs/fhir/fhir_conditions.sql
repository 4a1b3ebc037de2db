-- fhir_conditions: one row per Condition and coding of a known diagnosis code system
-- (ICD10CM, ICD9CM, SNOMEDCT: data/code_systems.csv), in the contract's diagnoses
-- columns (text, checked next by sql/ingest/check_diagnoses.sql), with FHIR problems.
-- A Condition with no such coding gives one row with a problem that lists what it had.
-- Reads: fhir_resources, _fhir_code_systems.
-- diagnosis_date: onsetDateTime, else onsetPeriod.start, else recordedDate (an onset
-- given as an age or a string gives no date). source: category encounter-diagnosis ->
-- encounter, problem-list-item -> problem_list, another category as its code.
-- verificationStatus refuted or entered-in-error: quarantined, it is not a diagnosis.
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with conditions as (
    select
        _resource,
        patient_id,
        subject_problem,
        from_json(
            resource,
            '{"code": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}]},
              "onsetDateTime": "VARCHAR", "onsetPeriod": {"start": "VARCHAR"},
              "recordedDate": "VARCHAR",
              "category": [{"coding": [{"system": "VARCHAR", "code": "VARCHAR"}]}],
              "verificationStatus": {"coding": [{"code": "VARCHAR"}]}}'
        ) as c
    from fhir_resources
    where resource_type = 'Condition'
),

dated as (
    select
        *,
        case
            when c.onsetDateTime is not null then 'onsetDateTime'
            when c.onsetPeriod.start is not null then 'onsetPeriod.start'
            when c.recordedDate is not null then 'recordedDate'
        end as date_element,
        coalesce(c.onsetDateTime, c.onsetPeriod.start, c.recordedDate) as diagnosis_date,
        case c.category[1].coding[1].code
            when 'encounter-diagnosis' then 'encounter'
            when 'problem-list-item' then 'problem_list'
            else c.category[1].coding[1].code
        end as source,
        c.verificationStatus.coding[1].code as verification
    from conditions
),

known_codings as (
    -- window: none; one row per distinct (system, code) of a known diagnosis system
    select distinct
        k._resource,
        s.code_system,
        k.coding.code
    from (select
        _resource,
        unnest(c.code.coding) as coding
    from dated) as k
    inner join _fhir_code_systems as s
        on k.coding.system = s.system_uri and list_contains(s.kinds, 'diagnoses')
    where nullif(trim(k.coding.code), '') is not null
),

final as (
    select
        d._resource,
        d.patient_id,
        k.code_system,
        k.code,
        d.diagnosis_date,
        d.source,
        list_filter(
            [
                case
                    when
                        d.subject_problem is not null
                        then { 'column_name': 'patient_id', 'reason': d.subject_problem }
                end,
                case
                    when
                        k.code is null
                        then
                            {
                                'column_name': 'code',
                                'reason': fhir_no_known_coding(
                                    'code', d.c.code.coding, 'ICD-10-CM, ICD-9-CM or SNOMED CT'
                                )
                            }
                end,
                case
                    when
                        d.diagnosis_date is null
                        then
                            {
                                'column_name': 'diagnosis_date',
                                'reason':
                                'no date (expected onsetDateTime, onsetPeriod.start or recordedDate)'
                            }
                end,
                fhir_date_problem('diagnosis_date', d.date_element, d.diagnosis_date),
                case
                    when
                        d.verification in ('refuted', 'entered-in-error')
                        then
                            {
                                'column_name': 'code',
                                'reason': 'verificationStatus is '
                                || d.verification
                                || ' (not a diagnosis of the patient)'
                            }
                end
            ],
            lambda x: x is not null  -- noqa: RF02
        ) as _fhir_problems
    from dated as d
    left join known_codings as k on d._resource = k._resource
)

select * from final
