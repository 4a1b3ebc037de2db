-- fhir_medications: one row per MedicationRequest, MedicationStatement or Immunization
-- and coding of a known medication code system (RXNORM, ATC, CVX: data/code_systems.csv),
-- in the contract's medications columns (text, checked next by
-- sql/ingest/check_medications.sql), with FHIR problems.
-- Reads: fhir_resources, _fhir_code_systems, _fhir_routes, _fhir_medication_codes (every
-- Medication of the drop, by 'Medication/<id>' and by fullUrl).
-- The drug: medicationCodeableConcept, else the Medication its medicationReference points
-- to (contained '#id', or elsewhere in the drop); an Immunization's vaccineCode.
-- Dates: MedicationRequest start = the first dosageInstruction's timing boundsPeriod.start,
-- else dispenseRequest.validityPeriod.start, else authoredOn; end = boundsPeriod.end,
-- else validityPeriod.end. MedicationStatement start = effectiveDateTime or
-- effectivePeriod.start, else dateAsserted; end = effectivePeriod.end. Immunization:
-- occurrenceDateTime, frequency ONCE. Dose, frequency and route come from the first
-- Dosage only (fhir_frequency; route from data/routes.csv, else its text).
-- Quarantined: status entered-in-error, cancelled (request), not-taken (statement),
-- not-done (immunization).
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with raw as (
    select
        _resource,
        resource_type,
        patient_id,
        subject_problem,
        from_json(
            resource,
            '{"status": "VARCHAR", "authoredOn": "VARCHAR", "dateAsserted": "VARCHAR",
              "effectiveDateTime": "VARCHAR", "effectivePeriod": {"start": "VARCHAR", "end": "VARCHAR"},
              "occurrenceDateTime": "VARCHAR", "occurrenceString": "VARCHAR",
              "medicationCodeableConcept": {"coding": [{"system": "VARCHAR", "code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"},
              "vaccineCode": {"coding": [{"system": "VARCHAR", "code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"},
              "medicationReference": {"reference": "VARCHAR", "display": "VARCHAR"},
              "contained": [{"resourceType": "VARCHAR", "id": "VARCHAR",
                             "code": {"coding": [{"system": "VARCHAR", "code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"}}],
              "dispenseRequest": {"validityPeriod": {"start": "VARCHAR", "end": "VARCHAR"}},
              "doseQuantity": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"},
              "route": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}], "text": "VARCHAR"},
              "dosageInstruction": [{"timing": {"code": {"coding": [{"code": "VARCHAR"}], "text": "VARCHAR"},
                  "repeat": {"frequency": "VARCHAR", "period": "VARCHAR", "periodUnit": "VARCHAR", "count": "VARCHAR",
                             "boundsPeriod": {"start": "VARCHAR", "end": "VARCHAR"}}},
                  "asNeededBoolean": "VARCHAR", "route": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}], "text": "VARCHAR"},
                  "doseAndRate": [{"doseQuantity": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"}}]}],
              "dosage": [{"timing": {"code": {"coding": [{"code": "VARCHAR"}], "text": "VARCHAR"},
                  "repeat": {"frequency": "VARCHAR", "period": "VARCHAR", "periodUnit": "VARCHAR", "count": "VARCHAR",
                             "boundsPeriod": {"start": "VARCHAR", "end": "VARCHAR"}}},
                  "asNeededBoolean": "VARCHAR", "route": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}], "text": "VARCHAR"},
                  "doseAndRate": [{"doseQuantity": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"}}]}]}'
        ) as m
    from fhir_resources
    where resource_type in ('MedicationRequest', 'MedicationStatement', 'Immunization')
),

shaped as (
    -- the three resource types in one shape
    select
        _resource,
        resource_type,
        patient_id,
        subject_problem,
        m.status,
        m.medicationReference.reference as med_reference,
        m.doseQuantity as imm_dose,
        m.route as imm_route,
        coalesce(m.medicationCodeableConcept, m.vaccineCode) as drug,
        list_filter(
            m.contained,
            lambda c: c.resourceType = 'Medication' and '#' || c.id = m.medicationReference.reference
        )[1].code as contained_drug,
        coalesce(m.dosageInstruction[1], m.dosage[1]) as dosage,
        -- 'end' is a keyword: period ends are read as period['end']
        case resource_type
            when 'MedicationRequest'
                then coalesce(
                    m.dosageInstruction[1].timing.repeat.boundsPeriod.start,
                    m.dispenseRequest.validityPeriod.start,
                    m.authoredOn
                )
            when 'MedicationStatement'
                then coalesce(m.effectiveDateTime, m.effectivePeriod.start, m.dateAsserted)
            else coalesce(m.occurrenceDateTime, m.occurrenceString)
        end as start_date,
        case resource_type
            when 'MedicationRequest'
                then coalesce(
                    m.dosageInstruction[1].timing.repeat.boundsPeriod['end'],
                    m.dispenseRequest.validityPeriod['end']
                )
            when 'MedicationStatement' then m.effectivePeriod['end']
        end as end_date,
        case resource_type
            when 'MedicationRequest' then 'authoredOn or validityPeriod.start'
            when 'MedicationStatement' then 'effective[x]'
            else 'occurrence[x]'
        end as date_element
    from raw
),

resolved as (
    select
        s.*,
        coalesce(s.drug, s.contained_drug, mc.code) as drug_concept,
        coalesce(s.dosage.doseAndRate[1].doseQuantity, s.imm_dose) as dose,
        coalesce(s.dosage.route, s.imm_route) as route_concept
    from shaped as s
    left join _fhir_medication_codes as mc on s.med_reference = mc.reference
),

known_codings as (
    select distinct
        k._resource,
        c.code_system,
        k.coding.code as code  -- noqa: AL09
    from (
        select
            _resource,
            unnest(drug_concept.coding) as coding
        from resolved
    ) as k
    inner join _fhir_code_systems as c
        on k.coding.system = c.system_uri and list_contains(c.kinds, 'medications')
    where nullif(trim(k.coding.code), '') is not null
),

final as (
    select
        r._resource,
        r.patient_id,
        k.code_system,
        k.code,
        coalesce(r.drug_concept.text, r.drug_concept.coding[1].display) as drug_name,
        r.start_date,
        r.end_date,
        r.dose.value as dose_value,
        case
            when r.dose.system = 'http://unitsofmeasure.org' and r.dose.code is not null then r.dose.code
            else coalesce(r.dose.unit, r.dose.code)
        end as dose_unit,
        case
            when r.resource_type = 'Immunization' then 'ONCE'
            else fhir_frequency(
                r.dosage.asNeededBoolean, r.dosage.timing.repeat.frequency, r.dosage.timing.repeat.period,
                r.dosage.timing.repeat.periodUnit, r.dosage.timing.repeat.count,
                coalesce(r.dosage.timing.code.coding[1].code, r.dosage.timing.code.text)
            )
        end as frequency,
        coalesce(rt.route, lower(trim(r.route_concept.text))) as route,
        list_filter(
            [
                case
                    when r.subject_problem is not null
                        then { 'column_name': 'patient_id', 'reason': r.subject_problem }
                end,
                case
                    when k.code is null
                        then {
                            'column_name': 'code',
                            'reason': fhir_no_known_coding(
                                if(r.resource_type = 'Immunization', 'vaccineCode', 'medication[x]'),
                                r.drug_concept.coding, 'RxNorm, ATC or CVX'
                            ) || if(
                                r.med_reference is not null and r.drug_concept is null,
                                ' (its medicationReference names no Medication of this drop)', ''
                            )
                        }
                end,
                case
                    when r.start_date is null
                        then {
                            'column_name': 'start_date',
                            'reason': 'no date (expected ' || r.date_element || ')'
                        }
                end,
                fhir_date_problem('start_date', r.date_element, r.start_date),
                fhir_date_problem('end_date', 'the end of the period', r.end_date),
                case
                    when r.status in ('entered-in-error', 'cancelled', 'not-taken', 'not-done')
                        then {
                            'column_name': 'start_date',
                            'reason': 'status is ' || r.status || ' (not given to the patient)'
                        }
                end
            ],
            lambda x: x is not null  -- noqa: RF02
        ) as _fhir_problems
    from resolved as r
    left join known_codings as k on r._resource = k._resource
    left join _fhir_routes as rt
        on r.route_concept.coding[1].system = rt.system_uri and r.route_concept.coding[1].code = rt.code
)

select * from final
