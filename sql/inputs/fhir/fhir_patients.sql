-- fhir_patients: one row per Patient resource of one file, in the contract's patients
-- columns (text, checked next by sql/ingest/check_patients.sql), with its FHIR problems.
-- Reads: fhir_resources.
-- Read: id, gender, birthDate, deceased[x], managingOrganization, extension (only the
-- one named by the setting fhir_site_extension). Nothing else is read, so name,
-- address, telecom, identifier, photo, contact, and the other extensions (mother's
-- maiden name, birth place) never leave the file.
-- site_id: the site extension's value, else managingOrganization's id, else the setting
-- fhir_default_site. gender other -> U. A birthDate of only a year or a year and month
-- gives birth_year. deceasedBoolean true without a date is quarantined: the contract
-- has no way to say "dead, date unknown" and the patient must not be screened as alive.
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with patients as (
    select
        _resource,
        resource_id,
        from_json(
            resource,
            '{"gender": "VARCHAR", "birthDate": "VARCHAR", "deceasedBoolean": "VARCHAR",
              "deceasedDateTime": "VARCHAR", "managingOrganization": {"reference": "VARCHAR"},
              "extension": [{"url": "VARCHAR", "valueString": "VARCHAR", "valueCode": "VARCHAR",
                             "valueIdentifier": {"value": "VARCHAR"},
                             "valueReference": {"reference": "VARCHAR"}}]}'
        ) as p
    from fhir_resources
    where resource_type = 'Patient'
),

site_extension as (
    select
        _resource,
        any_value(
            coalesce(
                e.valueString, e.valueCode, e.valueIdentifier.value,
                fhir_ref_id(e.valueReference.reference, 'Organization')
            )
        ) as site
    from (
        select
            _resource,
            unnest(p.extension) as e
        from patients
    ) as x
    where e.url = getvariable('fhir_site_extension')
    group by _resource
),

mapped as (
    select
        pa._resource,
        pa.resource_id as patient_id,
        case lower(pa.p.gender)
            when 'female' then 'F' when 'male' then 'M' when 'other' then 'U' when 'unknown' then 'U'
            else pa.p.gender
        end as sex,
        case when not regexp_full_match(trim(pa.p.birthDate), '\d{4}(-\d{2})?') then pa.p.birthDate end
            as birth_date,
        case
            when regexp_full_match(trim(pa.p.birthDate), '\d{4}(-\d{2})?') then left(trim(pa.p.birthDate), 4)
        end as birth_year,
        coalesce(
            se.site,
            fhir_ref_id(pa.p.managingOrganization.reference, 'Organization'),
            regexp_replace(pa.p.managingOrganization.reference, '^urn:uuid:', ''),
            getvariable('fhir_default_site')
        ) as site_id,
        pa.p.deceasedDateTime as death_date,
        pa.p.gender,
        pa.p.birthDate,
        pa.p.deceasedBoolean
    from patients as pa
    left join site_extension as se on pa._resource = se._resource
),

final as (
    select
        _resource,
        patient_id,
        sex,
        birth_date,
        birth_year,
        site_id,
        death_date,
        list_filter(
            [
                case
                    when
                        patient_id is null
                        then { 'column_name': 'patient_id', 'reason': 'the Patient has no id' }
                end,
                case
                    when
                        gender is null
                        then
                            {
                                'column_name': 'sex',
                                'reason': 'gender is missing (required: female, male, other or unknown)'
                            }
                end,
                case
                    when
                        birthDate is null
                        then { 'column_name': 'birth_date', 'reason': 'birthDate is missing (required)' }
                end,
                fhir_date_problem('birth_date', 'birthDate', birth_date),
                fhir_date_problem('death_date', 'deceasedDateTime', death_date),
                case
                    when
                        lower(deceasedBoolean) = 'true'
                        then
                            {
                                'column_name': 'death_date',
                                'reason':
                                'deceasedBoolean is true without a date (expected deceasedDateTime; a dead '
                                || 'patient is not screened as alive)'
                            }
                end,
                case
                    when
                        site_id is null
                        then
                            {
                                'column_name': 'site_id',
                                'reason':
                                'no site: no managingOrganization, no site extension and no default site '
                                || '(set fhir_default_site or fhir_site_extension)'
                            }
                end
            ],
            lambda x: x is not null  -- noqa: RF02
        ) as _fhir_problems
    from mapped
)

select * from final
