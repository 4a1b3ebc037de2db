-- fhir_outcomes: one row per resource of one kind of one file: loaded, or quarantined
-- with the first problem's column and every reason in words.
-- Reads: _mapped (a fhir_<kind> view's rows, numbered _row, with _resource and
-- _fhir_problems), _checked (the same rows through sql/ingest/check_<kind>.sql, _line
-- = _row), fhir_resources (for the place, type and id).
-- A resource loads only when every row it gave passes both the FHIR rules and the
-- contract's checks. A row with a FHIR problem gives only those reasons: the contract's
-- checks would only say again, in its columns' terms, what they explain (no known code
-- -> code_system missing).
with problems as (
    select
        m._resource,
        m._row,
        -- the FHIR rules' reasons when there are any (they say why in FHIR's terms), else
        -- the contract's
        case when len(m._fhir_problems) > 0 then m._fhir_problems else c._problems end as problems
    from _mapped as m
    inner join _checked as c on m._row = c._line
),

per_resource as (
    select
        _resource,
        flatten(list(problems order by _row)) as problems
    from problems
    group by _resource
),

final as (
    select
        p._resource,
        r._file,
        r._line,
        r._place,
        r.resource_type,
        r.resource_id,
        len(p.problems) = 0 as loaded,
        p.problems[1].column_name as column_name,
        case
            when len(p.problems) > 0
                then r._place || ', ' || r.resource_type || coalesce('/' || r.resource_id, ' (no id)') || ': '
                || array_to_string(
                    list_filter(
                        list_transform(p.problems, lambda x: x.reason),
                        lambda x, i: list_position(list_transform(p.problems, lambda y: y.reason), x) = i
                    ),
                    '; '
                )
        end as reason
    from per_resource as p
    inner join fhir_resources as r on p._resource = r._resource
)

select * from final
