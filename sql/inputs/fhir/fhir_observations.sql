-- fhir_observations: one row per result of an Observation (its own value[x], and each
-- component with a value) and LOINC coding, in the contract's labs columns (text,
-- checked next by sql/ingest/check_labs.sql), with FHIR problems.
-- Reads: fhir_resources, _fhir_code_systems.
-- Every category is read (laboratory, vital-signs, and survey or exam, where scores
-- are filed); only LOINC codings are lab codes. result_date: effectiveDateTime, else
-- effectivePeriod.start, else effectiveInstant, else issued. valueQuantity: value ->
-- value_num, or with a comparator ('<', '<=', '>=', '>') value_text '<0.5' as the
-- contract writes it; unit: the UCUM code when the system is http://unitsofmeasure.org,
-- else the unit text. valueCodeableConcept -> value_text (its text, else the first
-- coding's display, else its code); valueString -> value_text; valueInteger ->
-- value_num. referenceRange[1].low/high -> ref_low/ref_high, in the row's unit: a
-- result without a quantity (valueString, valueCodeableConcept: 'Not detected' below a
-- limit of 20 IU/mL) takes the range's unit as its unit, since FHIR carries it there; a
-- range whose unit differs from the valueQuantity's is left out. Other value types (Range,
-- Ratio, SampledData, Period, time) and status cancelled or entered-in-error are
-- quarantined.
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with observations as (
    select
        _resource,
        patient_id,
        subject_problem,
        from_json(
            resource,
            '{"status": "VARCHAR", "effectiveDateTime": "VARCHAR", "effectivePeriod": {"start": "VARCHAR"},
              "effectiveInstant": "VARCHAR", "issued": "VARCHAR",
              "code": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}]},
              "valueQuantity": {"value": "VARCHAR", "comparator": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"},
              "valueCodeableConcept": {"coding": [{"code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"},
              "valueString": "VARCHAR", "valueInteger": "VARCHAR",
              "referenceRange": [{"low": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"},
                  "high": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"}}],
              "component": [{"code": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}]},
                  "valueQuantity": {"value": "VARCHAR", "comparator": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"},
                  "valueCodeableConcept": {"coding": [{"code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"},
                  "valueString": "VARCHAR", "valueInteger": "VARCHAR",
                  "referenceRange": [{"low": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"},
                  "high": {"value": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"}}]}]}'
        ) as o,
        list_filter(json_keys(resource), lambda k: starts_with(k, 'value')) as value_keys
    from fhir_resources
    where resource_type = 'Observation'
),

results as (
    -- the observation's own result (when it has a value[x]) and each component's
    select
        _resource,
        unnest(
            case when len(value_keys) > 0 then [{
                'code': o.code,
                'valueQuantity': o.valueQuantity,
                'valueCodeableConcept': o.valueCodeableConcept,
                'valueString': o.valueString,
                'valueInteger': o.valueInteger,
                'referenceRange': o.referenceRange
            }] else [] end
            || coalesce(o.component, [])
        ) as r
    from observations
),

valued as (
    select
        _resource,
        r,
        r.valueQuantity.value is not null
        or r.valueCodeableConcept is not null
        or r.valueString is not null
        or r.valueInteger is not null as has_value
    from results
),

known_codings as (
    -- one row per result with a value and distinct LOINC code
    select distinct
        v._resource,
        v.r,
        s.code_system,
        v.coding.code,
        fhir_quantity_unit(v.r.valueQuantity) as value_unit,
        coalesce(
            fhir_quantity_unit(v.r.referenceRange[1].high), fhir_quantity_unit(v.r.referenceRange[1].low)
        ) as range_unit,
        -- a range in another unit than the value's is not the row's range (the contract
        -- gives ref_low and ref_high in the row's unit): it is left out
        coalesce(
            fhir_quantity_unit(v.r.valueQuantity) = fhir_quantity_unit(v.r.referenceRange[1].high), true
        )
        and coalesce(
            fhir_quantity_unit(v.r.valueQuantity) = fhir_quantity_unit(v.r.referenceRange[1].low), true
        ) as ranges_agree
    from (select
        *,
        unnest(r.code.coding) as coding
    from valued
    where has_value) as v
    inner join _fhir_code_systems as s
        on v.coding.system = s.system_uri and list_contains(s.kinds, 'labs')
    where nullif(trim(v.coding.code), '') is not null
),

final as (
    select
        o._resource,
        o.patient_id,
        k.code_system,
        k.code,
        coalesce(o.o.effectiveDateTime, o.o.effectivePeriod.start, o.o.effectiveInstant, o.o.issued)
            as result_date,
        case
            when k.r.valueQuantity.comparator is null then coalesce(k.r.valueQuantity.value, k.r.valueInteger)
        end as value_num,
        coalesce(
            k.r.valueQuantity.comparator || k.r.valueQuantity.value,
            k.r.valueCodeableConcept.text,
            k.r.valueCodeableConcept.coding[1].display,
            k.r.valueCodeableConcept.coding[1].code,
            k.r.valueString
        ) as value_text,
        coalesce(k.value_unit, case when k.r.valueQuantity is null then k.range_unit end) as unit,
        case when k.ranges_agree then k.r.referenceRange[1].low.value end as ref_low,
        case when k.ranges_agree then k.r.referenceRange[1].high.value end as ref_high,
        list_filter(
            [
                case
                    when
                        o.subject_problem is not null
                        then { 'column_name': 'patient_id', 'reason': o.subject_problem }
                end,
                case
                    when
                        not list_bool_or(list_transform(
                            [
                                o.o.valueQuantity.value,
                                o.o.valueCodeableConcept::varchar,
                                o.o.valueString,
                                o.o.valueInteger
                            ]
                            || list_transform(
                                coalesce(o.o.component, []),
                                lambda c: coalesce(
                                    c.valueQuantity.value,  -- noqa: RF01
                                    c.valueCodeableConcept::varchar,  -- noqa: RF01
                                    c.valueString,  -- noqa: RF01
                                    c.valueInteger  -- noqa: RF01
                                )
                            ),
                            lambda x: x is not null  -- noqa: RF02
                        ))
                        then {
                            'column_name': 'value_num', 'reason': 'no value read (value[x]: '
                            || coalesce(nullif(array_to_string(o.value_keys, ', '), ''), 'none')
                            || '; read: valueQuantity, valueCodeableConcept, valueString, valueInteger, '
                            || 'here or in a component)'
                        }
                    when k.code is null
                        then
                            {
                                'column_name': 'code',
                                'reason': fhir_no_known_coding('code', o.o.code.coding, 'LOINC')
                            }
                end,
                case
                    when
                        coalesce(
                            o.o.effectiveDateTime, o.o.effectivePeriod.start, o.o.effectiveInstant, o.o.issued
                        ) is null
                        then
                            {
                                'column_name': 'result_date',
                                'reason':
                                'no date (expected effectiveDateTime, effectivePeriod.start, '
                                || 'effectiveInstant or issued)'
                            }
                end,
                fhir_date_problem(
                    'result_date',
                    'effective[x]',
                    coalesce(
                        o.o.effectiveDateTime, o.o.effectivePeriod.start, o.o.effectiveInstant, o.o.issued
                    )
                ),
                case
                    when
                        o.o.status in ('cancelled', 'entered-in-error')
                        then
                            {
                                'column_name': 'value_num',
                                'reason': 'status is ' || o.o.status || ' (no result)'
                            }
                end
            ],
            lambda x: x is not null  -- noqa: RF02
        ) as _fhir_problems
    from observations as o
    left join known_codings as k on o._resource = k._resource
)

select * from final
