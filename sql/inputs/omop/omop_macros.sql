-- Macros shared by the OMOP CDM mapping views (sql/inputs/omop/omop_*.sql).
-- They read the site's own vocabulary (temp table omop_concept, loaded from its CONCEPT
-- table) and name no concept id: the CDM's fixed gender ids are in omop_person.sql only.

-- A CDM date: ISO 8601 (a timestamp's date part), or YYYYMMDD as Athena vocabulary files
-- and some exports write it.
create or replace macro omop_date(v) as (
    coalesce(parse_date(v), cast(try_strptime(trim(v), '%Y%m%d') as date))
);

-- A concept id as delivered ('0', '', NULL) to a usable id: NULL for none and for 0 (the
-- CDM's "no matching concept").
create or replace macro omop_id(v) as (
    nullif(try_cast(trim(v) as bigint), 0)
);

-- The codes a row can match a value set with, as {code_system, code} structs: the source
-- concept (what the site recorded: ICD-10-CM, LOINC, RxNorm, ...) and the standard
-- concept, each kept when its vocabulary is one of the kind's code systems (`accepted`,
-- compared as norm_code_system compares them: 'SNOMED' is SNOMEDCT, 'RxNorm' RXNORM). The
-- same code twice counts once. An empty list means no usable code.
create or replace macro omop_codes(src_vocabulary, src_code, std_vocabulary, std_code, accepted) as (
    list_sort(list_distinct(list_filter(
        [
            { 'code_system': norm_code_system(src_vocabulary), 'code': src_code },
            { 'code_system': norm_code_system(std_vocabulary), 'code': std_code }
        ],
        lambda c: c.code is not null and list_contains(accepted, c.code_system)
    )))
);

-- Why a row has no usable code, in words (NULL when it has one): `field` is the CDM
-- column stem ('condition', 'measurement', ...), `expected` the code systems in words.
create or replace macro omop_no_code_reason(
    field, src_vocabulary, src_code, std_vocabulary, std_code, source_value, expected
) as (
    case
        when src_code is null and std_code is null
            then
                field || '_concept_id and ' || field || '_source_concept_id are 0 or not in the '
                || 'site''s CONCEPT table, so the code system of ' || field || '_source_value '
                || coalesce('''' || trim(source_value) || '''', '(empty)')
                || ' is unknown (expected a concept in '
                || expected || ')'
        when src_vocabulary = std_vocabulary and src_code = std_code
            then
                'the row''s concept is ' || src_vocabulary || ' ' || src_code
                || ' (source and standard), not in ' || expected
        else 'the row''s concepts are ' || concat_ws(
            ' and ',
            coalesce(src_vocabulary, '(no vocabulary)') || ' ' || src_code || ' (source)',
            coalesce(std_vocabulary, '(no vocabulary)') || ' ' || std_code || ' (standard)'
        ) || ', none in ' || expected
    end
);
