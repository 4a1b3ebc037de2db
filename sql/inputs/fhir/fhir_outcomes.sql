-- fhir_outcomes: one row per resource of one kind of the files being read: loaded, or
-- quarantined with the first problem's column and every reason in words, once each.
-- Reads: _mapped (a fhir_<kind> view's rows, numbered _row, with _resource and
-- _fhir_problems), _checked (the same rows through sql/ingest/check_<kind>.sql, _line
-- = _row), fhir_resources (for the file, place, type and id).
-- A resource loads only when every row it gave passes both the FHIR rules and the
-- contract's checks. A row with a FHIR problem gives only those reasons: the contract's
-- checks would only say again, in its columns' terms, what they explain (no known code
-- -> code_system missing).
with row_problems as (
    select
        m._resource,
        m._row,
        -- the FHIR rules' reasons when there are any (they say why in FHIR's terms), else
        -- the contract's
        case when len(m._fhir_problems) > 0 then m._fhir_problems else c._problems end as problems
    from _mapped as m
    inner join _checked as c on m._row = c._line
),

problems as (
    select
        _resource,
        _row,
        generate_subscripts(problems, 1) as position,
        unnest(problems) as problem
    from row_problems
),

reasons as (
    -- window: none; a reason said by several rows of a resource (two codings) is kept
    -- once, where it first came
    select
        _resource,
        problem.reason as reason,  -- noqa: AL09
        min(_row * 1000 + position) as first_seen,
        arg_min(problem.column_name, _row * 1000 + position) as column_name
    from problems
    group by _resource, problem.reason
),

per_resource as (
    select
        r._resource,
        arg_min(s.column_name, s.first_seen) as column_name,
        string_agg(s.reason, '; ' order by s.first_seen) as reasons
    from (select distinct _resource from row_problems) as r
    left join reasons as s on r._resource = s._resource
    group by r._resource
),

final as (
    select
        p._resource,
        r._file,
        r._line,
        r._place,
        r.resource_type,
        r.resource_id,
        p.column_name,
        p.reasons is null as loaded,
        r._place || ', ' || r.resource_type || coalesce('/' || r.resource_id, ' (no id)') || ': '
        || p.reasons as reason
    from per_resource as p
    inner join fhir_resources as r on p._resource = r._resource
)

select * from final
