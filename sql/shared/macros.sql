-- Shared scalar macros used by ingest checks, staging and criteria.
-- Parsing macros return NULL when a text is not a value of the expected form, so a
-- check can say which field is wrong.

-- 'YYYY-MM-DD', or a timestamp 'YYYY-MM-DD HH:MM[:SS[.fff]][zone]' with a space or 'T':
-- the date part is used.
create or replace macro parse_date(v) as (
    case
        when
            regexp_full_match(
                trim(v),
                '\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?'
            )
            then try_cast(left(trim(v), 10) as date)
    end
);

-- A plain decimal number with '.' as the decimal point (no thousands separators).
create or replace macro parse_num(v) as (
    case
        when regexp_full_match(trim(v), '[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?')
            then try_cast(trim(v) as double)
    end
);

-- Code systems compared without case, spaces or punctuation: 'ICD-10-CM' = 'ICD10CM'.
create or replace macro norm_code_system(v) as (
    case upper(regexp_replace(trim(v), '[^A-Za-z0-9]', '', 'g'))
        when 'SNOMED' then 'SNOMEDCT'
        when 'RXNORMCUI' then 'RXNORM'
        when 'CPT' then 'CPT4'
        else upper(regexp_replace(trim(v), '[^A-Za-z0-9]', '', 'g'))
    end
);

-- Codes: ICD codes lose dots, case and spaces ('m32.14 ' = 'M3214'); CVX codes are two
-- digits at least ('3' = '03' = '003'); other systems lose surrounding spaces and case.
-- lpad truncates a longer text to the given length, so CVX '121' is padded to its own
-- length, never cut to '12'.
create or replace macro norm_code(code_system, code) as (
    case
        when norm_code_system(code_system) in ('ICD10CM', 'ICD9CM', 'ICD10')
            then upper(regexp_replace(code, '[\s.]', '', 'g'))
        when norm_code_system(code_system) = 'CVX'
            then lpad(
                coalesce(nullif(ltrim(trim(code), '0'), ''), '0'),
                cast(greatest(2, length(coalesce(nullif(ltrim(trim(code), '0'), ''), '0'))) as integer),
                '0'
            )
        else upper(trim(code))
    end
);

-- Unit spellings compared without case or spaces ('mL/min/1.73 m2' = 'ml/min/1.73m2').
create or replace macro norm_unit(v) as (
    nullif(lower(regexp_replace(trim(v), '\s', '', 'g')), '')
);

-- Three-valued comparisons of a result that may carry a comparator ('<5' is stored as
-- comparator '<' and value 5) against a threshold: true, false, or NULL when the
-- comparator leaves the answer open ('<50' against '>= 30').
create or replace macro cmp_ge(v, comparator, threshold) as (
    case coalesce(comparator, '=')
        when '=' then v >= threshold
        when '>' then case when v >= threshold then true end
        when '>=' then case when v >= threshold then true end
        when '<' then case when v <= threshold then false end
        when '<=' then case when v < threshold then false end
    end
);

create or replace macro cmp_le(v, comparator, threshold) as (
    case coalesce(comparator, '=')
        when '=' then v <= threshold
        when '<' then case when v <= threshold then true end
        when '<=' then case when v <= threshold then true end
        when '>' then case when v >= threshold then false end
        when '>=' then case when v > threshold then false end
    end
);

create or replace macro cmp_gt(v, comparator, threshold) as (not cmp_le(v, comparator, threshold));

create or replace macro cmp_lt(v, comparator, threshold) as (not cmp_ge(v, comparator, threshold));

-- A number for evidence text: at most 2 decimals, no trailing zeros.
create or replace macro fmt_num(v) as (
    regexp_replace(regexp_replace(printf('%.2f', v), '0+$', ''), '\.$', '')
);

-- Age in completed years on a date: one fewer until the month and day of birth come round,
-- so a birthday on 29 February completes a year on 1 March in a common year
-- (date_sub('year', ...) counts it complete on 28 February).
create or replace macro completed_years(birth_date, on_date) as (
    year(on_date) - year(birth_date)
    - if(month(on_date) * 100 + day(on_date) < month(birth_date) * 100 + day(birth_date), 1, 0)
);
