-- fhir_resources: one row per FHIR resource of the files being read: an ndjson line, or
-- an entry of a Bundle (a file's own document, or a Bundle on an ndjson line).
-- Reads: _fhir_lines (temp table: _file, _line, text; one row per line of an ndjson
-- file, or a single row with _line NULL holding a whole JSON document).
-- A Bundle of any type (transaction, collection, batch, searchset) is opened into its
-- entries and is not itself a resource. Blank lines are nothing. A line that is not JSON,
-- or JSON without a resourceType, is a resource of type NULL with a problem, so that it
-- is quarantined in its place. `_place` says where the resource is, in words ('line 4',
-- 'entry 12', 'line 3, entry 2'); `_line` is its line, or for a document file its entry
-- number. patient_id: the id of the Patient itself, or the one its subject (or patient)
-- points to; a 'urn:uuid:' reference is resolved through the fullUrl of a Patient entry
-- of the same file, falling back to the uuid. _resource numbers resources in file, line and
-- entry order.
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02
with lines as (
    select
        _file,
        _line,
        text,
        json_valid(text) as valid
    from _fhir_lines
    where trim(coalesce(text, '')) != ''
),

documents as (
    select
        _file,
        _line,
        valid,
        case when valid then text::json end as doc,
        case when valid then json_extract_string(text, '$.resourceType') end as top_type
    from lines
),

entries as (
    -- a Bundle's entries, numbered from 1 in file order
    select
        _file,
        _line,
        unnest(entry_list) as entry,
        generate_subscripts(entry_list, 1) as _entry
    from (
        select
            _file,
            _line,
            coalesce((json_extract(doc, '$.entry'))::json[], []) as entry_list
        from documents
        where top_type = 'Bundle'
    ) as bundles
),

resources as (
    select
        _file,
        _line,
        null::bigint as _entry,
        doc as resource,
        null::varchar as full_url,
        case
            when not valid and _line is null
                then 'the file is not valid JSON (expected a Bundle or a resource; truncated?)'
            when not valid then 'the line is not valid JSON (expected one FHIR resource per line)'
            when top_type is null then 'the JSON has no resourceType (expected a FHIR resource)'
        end as problem
    from documents
    where top_type is distinct from 'Bundle'
    union all
    select
        _file,
        _line,
        _entry,
        json_extract(entry, '$.resource') as resource,
        json_extract_string(entry, '$.fullUrl') as full_url,
        case
            when json_extract_string(entry, '$.resource.resourceType') is null
                then 'the Bundle entry has no resource with a resourceType (expected a FHIR resource)'
        end as problem
    from entries
),

fields as (
    select
        *,
        json_extract_string(
            resource, ['$.resourceType', '$.id', '$.subject.reference', '$.patient.reference']
        ) as f
    from resources
),

patient_urls as (
    -- fullUrl -> Patient id, for references to 'urn:uuid:...' inside a Bundle
    select
        _file,
        full_url,
        any_value(f[2]) as patient_id
    from fields
    where f[1] = 'Patient' and full_url is not null
    group by _file, full_url
),

final as (
    select
        row_number() over (order by fi._file, fi._line nulls first, fi._entry) as _resource,
        fi._file,
        coalesce(fi._line, fi._entry) as _line,
        case
            when fi._line is null and fi._entry is null then 'the document'
            when fi._line is null then 'entry ' || fi._entry
            when fi._entry is null then 'line ' || fi._line
            else 'line ' || fi._line || ', entry ' || fi._entry
        end as _place,
        fi.f[1] as resource_type,
        fi.f[2] as resource_id,
        coalesce(fi.f[3], fi.f[4]) as subject_reference,
        case
            when fi.f[1] = 'Patient' then fi.f[2]
            when
                starts_with(coalesce(fi.f[3], fi.f[4]), 'urn:')
                then coalesce(u.patient_id, regexp_replace(coalesce(fi.f[3], fi.f[4]), '^urn:uuid:', ''))
            else fhir_ref_id(coalesce(fi.f[3], fi.f[4]), 'Patient')
        end as patient_id,
        fi.full_url,
        fi.resource,
        fi.problem
    from fields as fi
    left join patient_urls as u on fi._file = u._file and coalesce(fi.f[3], fi.f[4]) = u.full_url
)

select
    *,
    -- the reference itself is never quoted: a conditional one may carry an identifier
    case
        when resource_type = 'Patient' then null
        when subject_reference is null then 'it has no subject (a reference to its Patient is required)'
        when
            patient_id is null
            then
                'its subject is not a reference to a Patient by id (expected Patient/<id> or the fullUrl '
                || 'of a Patient entry)'
    end as subject_problem
from final
