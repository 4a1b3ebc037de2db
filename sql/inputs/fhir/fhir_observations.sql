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
-- value_num. referenceRange[1].low/high -> ref_low/ref_high. Other value types (Range,
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
              "referenceRange": [{"low": {"value": "VARCHAR"}, "high": {"value": "VARCHAR"}}],
              "component": [{"code": {"coding": [{"system": "VARCHAR", "code": "VARCHAR"}]},
                  "valueQuantity": {"value": "VARCHAR", "comparator": "VARCHAR", "unit": "VARCHAR", "system": "VARCHAR", "code": "VARCHAR"},
                  "valueCodeableConcept": {"coding": [{"code": "VARCHAR", "display": "VARCHAR"}], "text": "VARCHAR"},
                  "valueString": "VARCHAR", "valueInteger": "VARCHAR",
                  "referenceRange": [{"low": {"value": "VARCHAR"}, "high": {"value": "VARCHAR"}}]}]}'
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
        v.coding.code
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
        case
            when k.r.valueQuantity.system = 'http://unitsofmeasure.org' and k.r.valueQuantity.code is not null
                then k.r.valueQuantity.code
            else coalesce(k.r.valueQuantity.unit, k.r.valueQuantity.code)
        end as unit,
        k.r.referenceRange[1].low.value as ref_low,
        k.r.referenceRange[1].high.value as ref_high,
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
