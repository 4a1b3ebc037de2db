-- CSV records the reader could not split into the header's fields, as quarantine rows.
-- Grain: one row per rejected line of the temp table `_rejects` (DuckDB's reject store;
-- a line may be rejected for several reasons, the first is kept).
-- Session variables: ingest_expected_fields (fields in the file's header) and
-- ingest_max_line_bytes (the reader's longest record), set by pipelines/ingest.py.
-- Fields are counted in the raw record with quoted fields removed first, so a comma or a
-- newline inside quotes is not counted. Records the reader cannot frame at all (encoding,
-- unclosed quotes) never get here: the whole file is refused before this runs.
with per_line as (
    select
        line,
        first(column_name order by column_idx) as column_name,
        first(error_type::varchar order by column_idx) as error_type,
        -- DuckDB keeps the record's line break (a CRLF file leaves a leading one): drop it
        trim(first(csv_line order by column_idx), e'\r\n') as raw_line
    from _rejects
    group by line
),

unquoted as (
    select
        *,
        regexp_replace(raw_line, '"([^"]|"")*"', '', 'g') as unquoted_line
    from per_line
),

counted as (
    select
        *,
        length(unquoted_line) - length(replace(unquoted_line, ',', '')) + 1 as fields,
        fields || case when fields = 1 then ' field' else ' fields' end || ', expected '
        || getvariable('ingest_expected_fields') as fields_text
    from unquoted
),

final as (
    select
        line,
        column_name,
        case error_type
            when 'MISSING COLUMNS' then fields_text || ' (too few fields)'
            when 'TOO MANY COLUMNS' then fields_text || ' (too many fields)'
            when 'LINE SIZE OVER MAXIMUM'
                then 'the record is longer than ' || getvariable('ingest_max_line_bytes') || ' bytes (expected shorter records)'
            else 'the record could not be split into fields (' || lower(error_type) || ')'
        end as reason,
        to_json({ 'raw_line': raw_line }) as raw_record
    from counted
)

select * from final
