"""The data-quality gate: run the suites of `expectations/` with Great Expectations.

Every row is validated inside DuckDB, with DuckDB's memory limit (it spills to disk past
it). Each table suite runs on GX's SQL engine (`SqlAlchemyExecutionEngine`): GX turns
each expectation into aggregate queries (`sum(case when <unexpected> ...)`), DuckDB runs
them over the whole table, and only counts and the first offending rows come back.
GX's SQL datasource fails on DuckDB through plain duckdb-engine (GX issues #10738 and
#11579: every expectation "N/A"); `pipelines/checks/gx_duckdb.py` explains why and holds the
dialect that fixes it. A suite reads a view `dq.<table>` (the table's columns plus the
suite's derived columns), created for the run and dropped after it.

Cross-table rules are SQL that DuckDB runs; their offending rows (few, by design) stream
as Arrow record batches into GX's pandas engine and are checked with
`expect_table_row_count_to_equal(0)`, one batch in memory at a time.

GX keeps its suites and validation results in a file context under the run's work
folder (`OUT/.dq-<run_id>/gx`), and writes Data Docs to `OUT/.dq-<run_id>/data_docs`;
the flow then copies them into each trial's export folder, or, when the gate fails,
moves them to `OUT/_failed/<run_id>/` next to that run's run.json.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
import pyarrow as pa
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.expectations.registry import get_expectation_impl
from great_expectations.expectations.row_conditions import Column

from pipelines.checks import docs_offline, gx_duckdb
from pipelines.checks.merge import PARTIAL, check_result, merge
from pipelines.checks.suites import Rule, Suite, load_rules, load_suites, parameters_for
from pipelines.errors import ValidationFailed
from pipelines.files import private_dir, restrict, write_json
from pipelines.ingest import contract
from pipelines.settings import NO_TELEMETRY_ENV, Settings
from pipelines.staging.incremental import DELTA_TABLE
from pipelines.warehouse.connect import ident, read_sql, scalar

DEFAULT_BATCH_ROWS = 250_000

RULES_SUITE = "cross_table"
SQL_SOURCE = "warehouse"
VIEW_SCHEMA = "dq"
ROWS_SCHEMA = "dq_rows"  # a delta's rows, copied for the time of their suite
DOCS_SITE = "cohortscan"
FAILED_DIR = "_failed"
VALIDATION_DIR = "_validation"
_SEVERITY = {"error": "critical", "warning": "warning"}
# GX warns on every type check that the dialect has no type module of its own and it uses
# SQLAlchemy's top-level types: those are what the suites' `type_` names (DATE, DOUBLE).
logging.getLogger("great_expectations.expectations.type_comparison").setLevel(logging.ERROR)
logger = logging.getLogger(__name__)


def run_suites(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    as_of: date,
    run_id: str,
    work_dir: Path,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    docs: bool = True,
    since_load_id: int | None = None,
) -> list[dict[str, Any]]:
    """Validate every table of a stage (`raw` or `staging`) and its cross-table rules.

    Returns one result per check (see `check_result`). With `docs`, Data Docs under
    `work_dir/data_docs` are rebuilt to show every stage validated so far in this run (a
    caller that validates another stage next into the same `work_dir` builds them then).

    With `since_load_id` (a staged delta, pipelines/staging/incremental.py) the table
    suites check only the delta's rows (`delta_rows`); counts, shares of failing rows and
    thresholds are then of those rows. Cross-table rules always read whole tables.
    """
    ctx = context(work_dir)
    params = parameters_for(as_of)
    where = delta_rows(stage, since_load_id)
    results = []
    with _sql_source(ctx, con) as source:
        for suite in load_suites(stage):
            results += _validate_suite(ctx, con, source, suite, params, run_id, where)
    rules = load_rules(stage)
    if rules:
        results += _validate_rules(ctx, con, rules, stage, as_of, run_id, batch_rows)
    if docs:
        build_docs(ctx)
    return results


def validate_suite(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    as_of: date,
    run_id: str,
    work_dir: Path,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> list[dict[str, Any]]:
    """Validate one table's suite (no Data Docs built); one result per check.
    (`batch_rows` is accepted for callers of the earlier batched engine and unused.)"""
    ctx = context(work_dir)
    with _sql_source(ctx, con) as source:
        return _validate_suite(ctx, con, source, suite, parameters_for(as_of), run_id)


@contextmanager
def _sql_source(ctx, con: duckdb.DuckDBPyConnection) -> Iterator[Any]:
    """GX's SQL data source on `con` for the time of the block (one per stage: each
    change to the context's data sources rewrites its configuration file)."""
    url = gx_duckdb.register(con)
    try:
        yield ctx.data_sources.add_or_update_sql(SQL_SOURCE, connection_string=url)
    finally:
        gx_duckdb.unregister(url)
        ctx.data_sources.delete(SQL_SOURCE)


def stream(con: duckdb.DuckDBPyConnection, query: str, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of a query as DataFrames of `batch_rows` rows (the last one shorter; one
    empty frame when there is no row). DuckDB hands over record batches of at most
    `batch_rows` rows, often fewer; they are gathered up to `batch_rows` so that GX is
    called as few times as the memory bound allows."""
    reader = con.sql(query).to_arrow_reader(batch_rows)
    pending: list[pa.RecordBatch] = []
    count, seen = 0, False
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        while count >= batch_rows:
            table = pa.Table.from_batches(pending)
            seen = True
            yield table.slice(0, batch_rows).to_pandas()
            rest = table.slice(batch_rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count or not seen:
        yield pa.Table.from_batches(pending, schema=reader.schema).to_pandas()


def delta_rows(stage: str, since_load_id: int | None) -> str | None:
    """The rows of a delta a stage's table suites check (SQL condition), None for all:
    raw tables, the rows of the loads after `since_load_id` (older ones were checked when
    they came); staged tables, every row of the patients staged again (staging_delta),
    since a new row can change which of a patient's rows are kept."""
    if since_load_id is None:
        return None
    if stage == "raw":
        return f"_load_id > {int(since_load_id)}"
    return f"patient_id in (select d.patient_id from main.{DELTA_TABLE} as d)"


def _validate_suite(
    ctx, con, source, suite: Suite, params: dict, run_id: str, where: str | None = None
) -> list[dict]:
    """One GX validation of the whole table, run by DuckDB through GX's SQL engine.

    Two passes: every check with result format BASIC (counts and the first unexpected
    values: one aggregate query per row condition and one lookup per check), then the
    checks that failed on rows again with SUMMARY and the locating columns, for the file
    and line of their first offending row. Asking every check for its offending rows'
    locations costs two more scans of the table per check, most of which find none.

    With `where` (a delta), the rows it selects are first copied into a table of their
    own (`dq_rows.<table>`, dropped after): GX runs a dozen queries per suite, and each
    would otherwise scan the whole table to find the few rows of the delta.
    """
    gx_suite = ctx.suites.add_or_update(_gx_suite(suite))
    table_columns = [row[0] for row in con.execute(f"describe {ident(suite.table)}").fetchall()]
    view = f"{VIEW_SCHEMA}.{ident(suite.table)}"
    schema = "main"
    con.execute(f"create schema if not exists {VIEW_SCHEMA}")
    if where:
        schema = ROWS_SCHEMA
        con.execute(f"create schema if not exists {ROWS_SCHEMA}")
        con.execute(
            f"create or replace table {ROWS_SCHEMA}.{ident(suite.table)} as "
            f"select * from main.{ident(suite.table)} where {where}"
        )
    con.execute(f"create or replace view {view} as {suite.query(table_columns, schema=schema)}")
    try:
        asset = source.add_table_asset(suite.table, table_name=suite.table, schema_name=VIEW_SCHEMA)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        counts_only = {"result_format": "BASIC", "partial_unexpected_count": PARTIAL}
        validation = batch.validate(gx_suite, result_format=counts_only, expectation_parameters=params)
        failed = {_check_name(r) for r in validation.results if _needs_location(r)}
        if failed:
            located = batch.validate(
                _gx_suite(suite, only=failed),
                result_format={
                    **counts_only,
                    "result_format": "SUMMARY",
                    "unexpected_index_column_names": [c for c in suite.locate_by if c in table_columns],
                },
                expectation_parameters=params,
            )
            by_check = {_check_name(r): r for r in located.results}
            validation.results = [by_check.get(_check_name(r), r) for r in validation.results]
        rows = scalar(con, f"select count(*) from {schema}.{ident(suite.table)}")
    finally:
        con.execute(f"drop view if exists {view}")
        con.execute(f"drop table if exists {ROWS_SCHEMA}.{ident(suite.table)}")
    engine = "DuckDB, GX SQL engine" + (f"; the delta's rows only ({where})" if where else "")
    validation.meta.update(_run_meta(run_id, suite.table, 1, rows, engine))
    store_result(ctx, suite.table, run_id, suite.stage, validation)
    by_name = {_check_name(r): r for r in validation.results}
    files = _file_names(con)
    return [check_result(check, by_name[check.name], 1, rows, files) for check in suite.checks]


def _validate_rules(ctx, con, rules: list[Rule], stage: str, as_of: date, run_id: str, batch_rows: int):
    _register_run_values(con, run_id, as_of)
    gx_suite = ctx.suites.add_or_update(_gx_rules_suite(load_rules("raw") + load_rules("staging")))
    expectations = {e.meta["check"]: e for e in gx_suite.expectations}
    batch_definition = _batch_definition(ctx, RULES_SUITE)
    evrs, results = [], []
    files = _file_names(con)
    for rule in rules:
        combined, batches, first = None, 0, None
        for frame in stream(con, read_sql(rule.sql), batch_rows):
            if first is None and len(frame):
                first = frame.iloc[0].to_dict()
            batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
            combined = merge(combined, batch.validate(expectations[rule.name]))
            batches += 1
        denominator = scalar(con, f"select count(*) from {ident(rule.of)}") if rule.of else None
        evrs.append(combined)
        results.append(check_result(rule, combined, batches, denominator, files, first_row=first))
    result = _suite_result(RULES_SUITE, evrs)
    result.meta.update(
        _run_meta(run_id, f"{RULES_SUITE} ({stage})", len(rules), None, "DuckDB via Arrow batches")
    )
    store_result(ctx, RULES_SUITE, run_id, stage, result)
    return results


def _check_name(evr) -> str:
    """The check an expectation result is for (its expectation's meta)."""
    return evr.expectation_config.meta["check"]


def _needs_location(evr) -> bool:
    """A failed row check: its offending rows are looked up (the first one's file and line)."""
    return not evr.success and bool(evr.result) and bool(evr.result.get("unexpected_count"))


def _gx_suite(suite: Suite, only: set[str] | None = None) -> gx.ExpectationSuite:
    """The GX suite of a table's checks (of those named in `only`, when given)."""
    name = suite.table if only is None else f"{suite.table}.located"
    gx_suite = gx.ExpectationSuite(name=name, meta={"notes": suite.description})
    for check in suite.checks:
        if only is None or check.name in only:
            gx_suite.add_expectation(_expectation(check.expectation, check.args, check, where=check.where))
    return gx_suite


def _gx_rules_suite(rules: list[Rule]) -> gx.ExpectationSuite:
    gx_suite = gx.ExpectationSuite(
        name=RULES_SUITE,
        meta={"notes": "Cross-table rules: each is a query returning the offending rows; none expected."},
    )
    for rule in rules:
        gx_suite.add_expectation(_expectation("expect_table_row_count_to_equal", {"value": 0}, rule))
    return gx_suite


def _expectation(kind: str, args: dict[str, Any], spec, where: dict[str, Any] | None = None):
    """A GX expectation from a check or rule; "$name" arguments become suite parameters."""
    kwargs = {
        key: {"$PARAMETER": value[1:]} if isinstance(value, str) and value.startswith("$") else value
        for key, value in args.items()
    }
    if where:
        kwargs["row_condition"] = _condition(where)
    meta = {
        "check": spec.name,
        "kind": spec.kind,
        "severity": spec.severity,
        "on_failure": spec.on_failure,
        "note": spec.note,
    }
    extra = {}
    if isinstance(spec, Rule):
        meta["sql"] = f"expectations/{spec.sql.parent.name}/{spec.sql.name}"
        # Also keeps the rules apart: GX treats expectations equal but for meta as one.
        extra["description"] = f"{spec.name}: {meta['sql']} returns no row"
    notes = [
        f"**{spec.name}** ({spec.kind}, severity {spec.severity})",
        f"Threshold source: {spec.note}",
        f"On failure: {spec.on_failure}",
    ]
    if getattr(spec, "error_above_percent", None) is not None:
        meta["error_above_percent"] = spec.error_above_percent
        notes.append(
            f"Stops the run when more than {spec.error_above_percent:g} % of the rows it checks fail "
            f"({spec.threshold_source})"
        )
    return get_expectation_impl(kind)(
        **kwargs, **extra, meta=meta, notes=notes, severity=_SEVERITY[spec.severity]
    )


def _condition(where: dict[str, Any]):
    """A GX row condition from a check's `where` (see quality_suites._check_where)."""
    column = Column(where["column"])
    if "equals" in where:
        return column == where["equals"]
    return column.is_null() if where.get("is_null") else column.is_not_null()


def context(work_dir: Path):
    """A GX file context under `work_dir/gx`, Data Docs site at `work_dir/data_docs`.

    Progress bars are off (the CLI stays readable); the stores are files, so each stage
    of a run adds to the same Data Docs.
    """
    os.environ["GX_ANALYTICS_ENABLED"] = NO_TELEMETRY_ENV["GX_ANALYTICS_ENABLED"]  # nothing sent
    private_dir(work_dir, Settings().private_group)  # its stores hold unexpected values
    ctx = gx.get_context(mode="file", project_root_dir=str(work_dir))
    if ctx.config.analytics_enabled is not False:
        ctx.enable_analytics(False)  # kept in the context's great_expectations.yml
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if DOCS_SITE not in (ctx.get_config().data_docs_sites or {}):
        ctx.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(work_dir / "data_docs"),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return ctx


def store_result(
    ctx, suite_name: str, run_id: str, batch: str, result: ExpectationSuiteValidationResult
) -> None:
    """Keep a (combined) suite result in the context's store, where Data Docs read it."""
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=RunIdentifier(run_name=run_id, run_time=datetime.now()),
        batch_identifier=batch,
    )
    ctx.validation_results_store.set(key, result)


def build_docs(ctx) -> None:
    """Render the Data Docs site (index, one page per suite and per validation), then
    make it load nothing from outside (pipelines/checks/docs_offline.py).

    GX catches an error of its renderers, leaves the part it could not draw out of the
    page and logs the error with its whole traceback (e.g. `ValueError: offset must be a
    timedelta strictly between ...`). Those records are held back while the site is
    built, and each distinct error is said once, in one warning line with its count.
    """
    with renderer_errors_held() as held:
        ctx.build_data_docs(site_names=[DOCS_SITE])
    site = ctx.get_config().data_docs_sites[DOCS_SITE]["store_backend"]["base_directory"]
    docs_offline.make_offline(Path(site))
    for error, count in held.errors.items():
        logger.warning(
            "Data Docs: %d part(s) could not be drawn and are left out of the pages (%s)", count, error
        )


# GX's renderers log a caught error as: <explanation> <Type>: "<message>".  Traceback: "..."
_RENDER_ERROR = re.compile(r'(\w+(?:Error|Exception|Warning)?): "(.*?)"\.\s+Traceback:', re.DOTALL)


class _HeldRendererErrors(logging.Filter):
    """Holds back GX's error records while Data Docs are built; counts them by error."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        text = record.getMessage()
        found = _RENDER_ERROR.search(text)
        if found:
            summary = f"{found.group(1)}: {found.group(2)}"
        elif record.exc_info and record.exc_info[1] is not None:
            summary = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        else:
            summary = text
        first_line = (summary.strip().splitlines() or ["unknown error"])[0]
        self.errors[first_line[:300]] += 1
        return False


@contextmanager
def renderer_errors_held() -> Iterator[_HeldRendererErrors]:
    """Within the block, error records of every `great_expectations` logger are held back
    and counted (a logger's filters see only the records logged on it, so each gets one)."""
    held = _HeldRendererErrors()
    names = [n for n in list(logging.Logger.manager.loggerDict) if n.startswith("great_expectations")]
    loggers = [logging.getLogger(n) for n in names]
    for each in loggers:
        each.addFilter(held)
    try:
        yield held
    finally:
        for each in loggers:
            each.removeFilter(held)


def _batch_definition(ctx, asset_name: str):
    source = ctx.data_sources.add_or_update_pandas("cohortscan")
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _suite_result(name: str, evrs: list) -> ExpectationSuiteValidationResult:
    passed = sum(bool(r.success) for r in evrs)
    return ExpectationSuiteValidationResult(
        success=passed == len(evrs),
        results=evrs,
        suite_name=name,
        statistics={
            "evaluated_expectations": len(evrs),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(evrs) - passed,
            "success_percent": 100.0 * passed / len(evrs) if evrs else None,
        },
        meta={"great_expectations_version": gx.__version__},
    )


def _run_meta(run_id: str, asset: str, batches: int, rows: int | None, engine: str) -> dict[str, Any]:
    """What Data Docs show of a result: run, table, engine, batches and rows."""
    return {
        "run_id": {"run_name": run_id, "run_time": datetime.now().isoformat()},
        "batch_spec": {"data_asset_name": asset, "batch_data": engine, "batches": batches, "rows": rows},
    }


def _register_run_values(con: duckdb.DuckDBPyConnection, run_id: str, as_of: date) -> None:
    """What rule SQL may read: getvariable('dq_run_id'), getvariable('dq_as_of') and
    table dq_contract_columns(kind, column_name, required) from pipelines/ingest/contract.py."""
    con.execute("set variable dq_run_id = ?", [run_id])
    con.execute("set variable dq_as_of = ?", [as_of])
    rows = [(k.name, c, c in k.required) for k in contract.KINDS.values() for c in k.columns]
    con.execute(
        "create or replace temp table dq_contract_columns as "
        "select unnest(?::varchar[]) as kind, unnest(?::varchar[]) as column_name, "
        "unnest(?::boolean[]) as required",
        [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
    )


def _file_names(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return dict(con.execute("select load_id, file_name from load_ledger").fetchall())


# -- after the suites: record, decide, keep the evidence -------------------------------


def record_results(con: duckdb.DuckDBPyConnection, run_id: str, results: list[dict[str, Any]]) -> None:
    """Append one `dq_results` row per check of this run (trends are queries over it)."""
    checked_at = datetime.now()
    con.executemany(
        "insert into dq_results (run_id, checked_at, stage, table_name, check_name, expectation, kind, "
        "severity, status, element_count, unexpected_count, unexpected_percent, batches, "
        "first_location, on_failure) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id, checked_at, r["stage"], r["table"], r["check"], r["expectation"], r["kind"],
                r["severity"], r["status"], r["element_count"], r["unexpected_count"],
                r["unexpected_percent"], r["batches"], r["first_location"], r["on_failure"],
            ]
            for r in results
        ],
    )  # fmt: skip


def outcome(results: list[dict[str, Any]], data_docs: str | None = None) -> dict[str, Any]:
    """The validation block of run.json: passed, warnings or failed, and every check."""
    failed = [r for r in results if r["status"] == "failed"]
    errors = sum(r["severity"] == "error" for r in failed)
    return {
        "status": "failed" if errors else ("warnings" if failed else "passed"),
        "checks_run": len(results),
        "checks_failed_error": errors,
        "checks_failed_warning": len(failed) - errors,
        "data_docs": data_docs,
        "checks": results,
    }


def failure_message(results: list[dict[str, Any]]) -> str | None:
    """One line naming the first failed `error` check (and how many others), or None."""
    errors = [r for r in results if r["status"] == "failed" and r["severity"] == "error"]
    if not errors:
        return None
    first = errors[0]
    more = f"; {len(errors) - 1} more error check(s) failed" if len(errors) > 1 else ""
    return f"table {first['table']}: check {first['check']} failed: {first['detail']}{more}"


def gate(results: list[dict[str, Any]], evidence: Path, work_dir: Path, payload: dict[str, Any]) -> None:
    """Raise ValidationFailed when an `error` check failed, keeping its evidence aside.

    The Data Docs and a run.json (`payload` plus the validation outcome) go to
    `evidence` (the scan uses `OUT/_failed/<run_id>/`); export folders are not touched.
    """
    message = failure_message(results)
    if message is None:
        return
    keep_evidence(evidence, work_dir, {**payload, "status": "failed", "message": message}, results)
    raise ValidationFailed(f"{message}; see {evidence / 'data_docs' / 'index.html'}")


def keep_evidence(folder: Path, work_dir: Path, payload: dict[str, Any], results: list[dict]) -> Path:
    """Move the run's Data Docs to `folder/data_docs`, write `folder/run.json`, drop the
    GX work folder; return `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "data_docs"
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(work_dir / "data_docs", target)
    write_json(folder / "run.json", {**payload, "validation": outcome(results, "data_docs/index.html")})
    restrict(folder, Settings().private_group)  # Data Docs show unexpected values: patient data
    discard_work(work_dir)
    return folder


def discard_work(work_dir: Path) -> None:
    """Remove the run's GX work folder (its Data Docs were copied or moved out)."""
    shutil.rmtree(work_dir, ignore_errors=True)


def work_dir_for(out: Path, run_id: str) -> Path:
    """The run's GX work folder (hidden, removed when the run ends)."""
    return out / f".dq-{run_id}"


def clean_work_dirs(out: Path) -> None:
    """Remove GX work folders left by runs that were killed."""
    for leftover in out.glob(".dq-*") if out.is_dir() else ():
        shutil.rmtree(leftover, ignore_errors=True)


def data_quality_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """Every check of one run from `dq_results` (for reports): table, check, kind,
    severity, status, rows checked, rows failing, percent, first location, on_failure."""
    cursor = con.execute(
        "select stage, table_name, check_name, kind, severity, status, element_count, "
        "unexpected_count, unexpected_percent, first_location, on_failure "
        "from dq_results where run_id = ? order by rowid",
        [run_id],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
