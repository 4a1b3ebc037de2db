-- Macros of the FHIR R4 reader (pipelines/ingest/fhir.py), created before its views.
-- They read only their arguments (and the temp tables named in their comment).
-- FHIR element names are camelCase JSON keys (valueQuantity), kept as FHIR spells them.
-- noqa: disable=CP02

-- The logical id a reference points to, when it names a resource of `type_name`:
-- 'Patient/123', 'https://host/fhir/Patient/123', 'Patient/123/_history/2' give '123'.
-- A 'urn:uuid:...' reference is resolved by the caller through the Bundle's fullUrl; a
-- reference to another type ('Group/7') gives NULL.
create or replace macro fhir_ref_id(ref, type_name) as (
    nullif(regexp_extract(trim(ref), '(?:^|/)' || type_name || '/([^/]+)(?:/_history/[^/]+)?$', 1), '')
);

-- A problem (struct of column_name and reason) when a FHIR date or dateTime element is
-- present but is not a full date: '2011', '2011-05' (partial dates, valid FHIR) and
-- '2011-13-45' all fail, and the reason names the element and its value.
create or replace macro fhir_date_problem(column_name, element, v) as (
    case
        when nullif(trim(v), '') is not null and parse_date(v) is null
            then {
                'column_name': column_name,
                'reason': element || ' ''' || v || ''' is not a full date (expected YYYY-MM-DD or a '
                || 'dateTime; a partial date such as 2011 or 2011-05 does not give the day)'
            }
    end
);

-- The contract's frequency from a FHIR Dosage: asNeeded -> PRN; Timing.repeat with
-- count 1 and no frequency -> ONCE; frequency per period (d, h, wk) -> QD, BID, TID, QID,
-- QOD, Q4H, Q6H, Q8H, Q12H, Q24H, QW, Q2W, Q4W; otherwise Timing.code (a code such as
-- BID of v3-GTSAbbreviation, or its text) as written; NULL when none of these applies.
create or replace macro fhir_frequency(
    as_needed, repeat_frequency, repeat_period, period_unit, repeat_count, timing_code
) as (
    case
        when lower(as_needed) = 'true' then 'PRN'
        when
            repeat_frequency is null and repeat_period is null and try_cast(repeat_count as double) = 1
            then 'ONCE'
        when coalesce(try_cast(repeat_frequency as double), 1) = 1 and period_unit = 'h'
            then case try_cast(repeat_period as double)
                when 4 then 'Q4H' when 6 then 'Q6H' when 8 then 'Q8H' when 12 then 'Q12H' when 24 then 'Q24H'
            end
        when period_unit = 'd' and coalesce(try_cast(repeat_period as double), 1) = 1
            then case coalesce(try_cast(repeat_frequency as double), 1)
                when 1 then 'QD' when 2 then 'BID' when 3 then 'TID' when 4 then 'QID'
            end
        when
            period_unit = 'd'
            and coalesce(try_cast(repeat_frequency as double), 1) = 1
            and try_cast(repeat_period as double) = 2
            then 'QOD'
        when period_unit = 'wk' and coalesce(try_cast(repeat_frequency as double), 1) = 1
            then case try_cast(repeat_period as double)
                when 1 then 'QW' when 2 then 'Q2W' when 4 then 'Q4W'
            end
        else nullif(upper(trim(timing_code)), '')
    end
);

-- Why a CodeableConcept gave no usable code: it has no coding of a system this kind
-- reads (a code is never matched without its system). Lists up to three of its codings
-- as system|code.
create or replace macro fhir_no_known_coding(element, codings, expected) as (
    element || ' has no coding of a code system read here (expected ' || expected || '; found '
    || coalesce(
        nullif(
            array_to_string(
                list_transform(
                    (coalesce(codings, []))[1:3],
                    lambda c: coalesce(c.system, '(no system)') || '|' || coalesce(c.code, '(no code)')
                ),
                ', '
            ),
            ''
        ),
        'no coding'
    )
    || ')'
);

-- The contract's unit of a FHIR Quantity (valueQuantity, referenceRange.low/high): its
-- UCUM code when its system is http://unitsofmeasure.org, else its unit text, else its
-- code; NULL when the Quantity (a struct of unit, system, code) is NULL or has none.
create or replace macro fhir_quantity_unit(q) as (
    case
        when q.system = 'http://unitsofmeasure.org' and q.code is not null then q.code
        else coalesce(q.unit, q.code)
    end
);
