"""The `cohortscan` command line (see README.md, "Command line").

Every error of ours becomes one line on stderr and a non-zero exit status; tracebacks
are kept for bugs. Prefect is imported only by the commands that run flows, so
`trials`, `runs` and `explain` answer at once. `scan` and `validate` without a Prefect
server launch Prefect's temporary one before their imports (pipelines/run/prefect_api.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from pipelines import files
from pipelines.errors import CohortscanError
from pipelines.run.prefect_api import prefect_api
from pipelines.settings import NO_TELEMETRY_ENV, PROJECT_ROOT, Settings


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _path(text: str) -> Path:
    return Path(text).expanduser().resolve()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cohortscan", description="Find candidate patients for clinical trials."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, *, extracts: bool = False, out: bool = False) -> None:
        if extracts:
            p.add_argument("--extracts", type=_path, help="drop folder (default: data/sample)")
            p.add_argument(
                "--format",
                dest="extracts_format",
                choices=("contract", "omop", "fhir"),
                help="form of the drop (default: told from its files)",
            )
        p.add_argument("--warehouse", type=_path, help="DuckDB file (default: warehouse/cohortscan.duckdb)")
        if out:
            p.add_argument("--out", type=_path, help="exports root (default: exports)")

    scan = sub.add_parser("scan", help="ingest a drop, evaluate trials, write exports")
    common(scan, extracts=True, out=True)
    scan.add_argument(
        "--trial",
        action="append",
        dest="trials",
        help="trial id (repeatable; default: every trial)",
    )
    scan.add_argument("--as-of", type=_date, help="screening date (default: today)")
    scan.add_argument(
        "--full-refresh",
        action="store_true",
        default=None,
        help="the drop holds the whole current content of each kind it delivers: "
        "earlier rows of those kinds are retired",
    )
    scan.add_argument(
        "--full",
        action="store_true",
        default=None,
        help="stage, check and evaluate every patient (default: only the new loads' patients "
        "are staged and checked, and only the patients with new rows, screening events or a "
        "result due to change by time are evaluated, when nothing else changed)",
    )

    explain = sub.add_parser("explain", help="every criterion of one patient: status and evidence")
    explain.add_argument("patient_id")
    common(explain)
    explain.add_argument("--trial", dest="trials", action="append", help="trial id (default: every trial)")
    explain.add_argument("--as-of", type=_date, help="screening date (default: the last scan's)")

    whatif = sub.add_parser(
        "whatif", help="re-evaluate a trial with changed parameters (no re-ingest): the funnel delta"
    )
    whatif.add_argument(
        "--set",
        dest="assignments",
        action="append",
        required=True,
        metavar="CRITERION.PARAM=VALUE",
        help="a parameter and its what-if value, e.g. inc_renal.egfr_min=15 (repeatable)",
    )
    whatif.add_argument("--trial", dest="trials", action="append", help="trial id (default: the only trial)")
    whatif.add_argument("--as-of", type=_date, help="screening date (default: the last evaluation's)")
    whatif.add_argument("--name", help="names whatif-<name>.json/.html (default: from the --set values)")
    common(whatif, out=True)

    review = sub.add_parser(
        "review",
        help="record a screening state or criterion decision, import a screening log, show a history",
    )
    review.add_argument("patient_id", nargs="?")
    review.add_argument("--trial", dest="trial_id", help="trial id")
    review.add_argument("--state", help="screening state (to_review, reviewed, contacted, deferred, ...)")
    review.add_argument("--reason", help="reason code (the state's list, or a criterion decision's)")
    review.add_argument(
        "--until", type=_date, help="deferred until (the day the patient returns) / decision valid until"
    )
    review.add_argument("--criterion", metavar="ID=met|not_met", help="a decision on one criterion")
    review.add_argument("--by", help="who decided (required to record)")
    review.add_argument("--note", help="a short note (at most 200 characters; never logged)")
    review.add_argument("--on", type=_date, dest="decided_on", help="date of the decision (default: today)")
    review.add_argument("--import", type=_path, dest="import_file", metavar="CSV", help="a screening-log CSV")
    review.add_argument("--history", action="store_true", help="show the patient's screening events")
    common(review)

    sub.add_parser("trials", help="the trials found under sql/trials/")

    runs = sub.add_parser("runs", help="run history")
    common(runs)
    runs.add_argument("--limit", type=int, default=20)

    validate = sub.add_parser("validate", help="ingest and validate only")
    common(validate, extracts=True, out=True)
    validate.add_argument("--as-of", type=_date, help="date checks compare with (default: today)")

    serve = sub.add_parser(
        "serve", help="serve the nightly scan deployment with Prefect (runs until stopped)"
    )
    common(serve, extracts=True, out=True)
    serve.add_argument("--trial", action="append", dest="trials", help="trial id (default: every trial)")
    serve.add_argument("--cron", dest="schedule_cron", help="cron schedule (default: 0 2 * * *, 02:00)")
    serve.add_argument("--timezone", dest="schedule_timezone", help="IANA zone (default: this machine's)")

    network = sub.add_parser("network", help="a network of sites: merge the sites' feasibility reports")
    network_sub = network.add_subparsers(dest="network_command", required=True)
    merge = network_sub.add_parser(
        "merge", help="sum the sites' feasibility.json into network.json and network.html, suppressed again"
    )
    merge.add_argument(
        "reports",
        nargs="+",
        metavar="SITE.json",
        help="a site's feasibility.json, or NAME=PATH to name the site",
    )
    merge.add_argument(
        "--out", dest="network_out", type=_path, required=True, help="folder for network.json/.html"
    )
    merge.add_argument(
        "--min-cell-count",
        type=int,
        help="the network's threshold (default: the highest of the sites'; never lower)",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    given = {
        key: getattr(args, key)
        for key in (
            "extracts",
            "extracts_format",
            "warehouse",
            "out",
            "trials",
            "as_of",
            "full_refresh",
            "full",
            "schedule_cron",
            "schedule_timezone",
        )
        if getattr(args, key, None) is not None
    }
    return Settings(**given)


def _quiet_prefect() -> None:
    """Readable console: our progress lines only (see pipelines/run/logging.yml)."""
    os.environ.setdefault(
        "PREFECT_LOGGING_SETTINGS_PATH", str(PROJECT_ROOT / "pipelines" / "run" / "logging.yml")
    )
    os.environ.update(NO_TELEMETRY_ENV)  # forced: never sent, whatever the environment says
    # On a loaded 2-core machine the temporary API server can need more than 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_CLI_PROMPT", "false")


def cmd_scan(settings: Settings) -> int:
    from pipelines.warehouse.runlock import run_lock

    # Taken here too (the flow takes it again) so that a busy warehouse is one line at once.
    with run_lock(settings.warehouse, "cohortscan scan", settings.lock_wait_seconds):
        _quiet_prefect()
        print("cohortscan: starting (Prefect may start a temporary API server)...", file=sys.stderr)
        started = time.monotonic()
        with prefect_api() as api:
            from pipelines.run.flows import scan_flow  # imported while a temporary server boots

            if api.temporary and not _probably_nothing_new(settings):
                import pipelines.checks.gate  # noqa: F401  (Great Expectations, for the gate, while the server boots)
            api.ready()
            summary = scan_flow(
                extracts=settings.extracts,
                warehouse=settings.warehouse,
                out=settings.out,
                trials_dir=settings.trials_dir,
                trial_ids=settings.trials,
                as_of=settings.as_of,
                full_refresh=settings.full_refresh,
                extracts_format=settings.extracts_format,
                full=settings.full,
            )
    print(_format_summary(summary, time.monotonic() - started))
    _print_quarantine(settings.warehouse, summary["files"])
    return 0


def _probably_nothing_new(settings: Settings) -> bool:
    """A hint (ingest decides): no new file in the drop, so the scan may well reuse the
    last run's exports and never need the data-quality gate's module."""
    from pipelines.run.reuse import drop_seen_before

    return (
        not settings.full_refresh
        and settings.extracts.is_dir()
        and drop_seen_before(settings.warehouse, settings.extracts)
    )


def _print_quarantine(warehouse: Path, files: list[dict], per_file: int = 3) -> None:
    """The first quarantined rows of each file loaded, one `<file> line <n>: <reason>` line
    each (a reason names the column, the bad value and what was expected)."""
    loads = [f for f in files if f["status"] == "loaded" and f["rows_quarantined"]]
    if not loads:
        return
    from pipelines.ingest.load import quarantine_examples
    from pipelines.warehouse.connect import open_warehouse

    with open_warehouse(warehouse, read_only=True) as con:
        examples = quarantine_examples(con, [f["load_id"] for f in loads], per_file)
    print(f"quarantined rows (the first {per_file} of each file; all are in the quarantine table):")
    for f in loads:
        shown = examples.get(f["load_id"], [])
        for line in shown:
            print(f"  {line}")
        if f["rows_quarantined"] > len(shown):
            print(f"  {f['file_name']}: and {f['rows_quarantined'] - len(shown)} more")


def _format_summary(summary: dict, seconds: float) -> str:
    lines = [f"run {summary['run_id']}  as-of {summary['as_of']}  ({seconds:.1f} s)"]
    files = summary["files"]
    lines.append(
        f"files: {sum(f['status'] == 'loaded' for f in files)} loaded, "
        f"{sum(f['status'] == 'skipped' for f in files)} skipped; rows: "
        f"{sum(f['rows_read'] for f in files)} read, {sum(f['rows_loaded'] for f in files)} loaded, "
        f"{sum(f['rows_quarantined'] for f in files)} quarantined"
    )
    if summary.get("reused_from"):
        lines.append(
            f"no new file and nothing changed: the exports of run {summary['reused_from']} are reused "
            "(not staged, validated, evaluated or written again)"
        )
    if summary.get("validation"):
        lines.append(_format_validation(summary["validation"]))
    for trial_id, result in summary["trials"].items():
        lines.append("")
        lines.append(f"{trial_id}: " + ", ".join(f"{v} {k}" for k, v in sorted(result["statuses"].items())))
        lines.append(f"  {'step':<26}{'remaining':>10}{'removed':>9}{'unknown':>9}")
        for step in result["funnel"]:
            lines.append(
                f"  {step['step']:<26}{step['remaining']:>10}{step['removed']:>9}{step['unknown']:>9}"
            )
        lines.append(f"  exports: {summary['folders'][trial_id]}")
    return "\n".join(lines)


def cmd_trials(settings: Settings) -> int:
    from pipelines.criteria.trials import discover_trials, load_trial

    for trial_id in discover_trials(settings.trials_dir):
        trial = load_trial(settings.trials_dir, trial_id)
        inc = sum(c.kind == "inclusion" for c in trial.criteria)
        exc = len(trial.criteria) - inc
        print(f"{trial.id}\t{len(trial.criteria)} criteria ({inc} inclusion, {exc} exclusion)\t{trial.title}")
    return 0


def cmd_runs(settings: Settings, limit: int) -> int:
    from pipelines.run.history import describe_run, list_runs
    from pipelines.warehouse.connect import open_warehouse

    if not settings.warehouse.exists():
        print("no runs yet")
        return 0
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = list_runs(con, limit)
    if not rows:
        print("no runs yet")
    for run in rows:
        print("\n".join(describe_run(run)))
    return 0


def cmd_serve(settings: Settings) -> int:
    """Serve the nightly deployment on a lasting Prefect server; refused without one
    (a temporary server would die with this process, and the schedule with it)."""
    from pipelines.run.prefect_api import require_lasting_server, ui_url

    _quiet_prefect()
    api_url = require_lasting_server()
    print(f"cohortscan: serving scan/nightly-scan on {api_url} (UI: {ui_url(api_url)})", file=sys.stderr)
    from pipelines.run.deploy import serve_nightly

    serve_nightly(settings)
    return 0


def cmd_whatif(settings: Settings, assignments: list[str], as_of_given: bool, name: str | None) -> int:
    """Re-evaluate one trial with `--set` values; print the delta, write it beside the run."""
    from pipelines.criteria.trials import discover_trials
    from pipelines.tools.whatif import format_result, pick_trial, run_whatif
    from pipelines.warehouse.runlock import run_lock

    trial_id = pick_trial(
        settings.trials_dir, settings.trials or discover_trials(settings.trials_dir), assignments
    )
    with run_lock(settings.warehouse, "cohortscan whatif", settings.lock_wait_seconds):
        result = run_whatif(
            settings.warehouse,
            settings.trials_dir,
            settings.out,
            trial_id,
            assignments,
            settings.as_of if as_of_given else None,
            name,
        )
    print(format_result(result))
    return 0


def cmd_review(settings: Settings, args: argparse.Namespace) -> int:
    """`cohortscan review`: one of --import, --history, or recording a state or decision."""
    from pipelines.errors import ParameterError
    from pipelines.screening import review
    from pipelines.warehouse.runlock import run_lock

    if args.import_file is not None:
        if not args.by:
            raise ParameterError("--import needs --by NAME (who imports the log)")
        with run_lock(settings.warehouse, "cohortscan review", settings.lock_wait_seconds):
            print(review.import_log(settings, args.import_file, args.by))
        return 0
    if not args.patient_id or not args.trial_id:
        raise ParameterError("review needs PATIENT_ID and --trial T (or --import FILE --by NAME)")
    if args.history:
        print(review.show_history(settings, args.trial_id, args.patient_id))
        return 0
    if (args.state is None) == (args.criterion is None):
        raise ParameterError("review needs exactly one of --state S or --criterion ID=met|not_met")
    if not args.by:
        raise ParameterError("review needs --by NAME (who decided)")
    with run_lock(settings.warehouse, "cohortscan review", settings.lock_wait_seconds):
        line = review.record(
            settings,
            args.trial_id,
            args.patient_id,
            args.by,
            state=args.state,
            reason=args.reason,
            until=args.until,
            criterion=args.criterion,
            note=args.note,
            on=args.decided_on,
        )
    print(line)
    return 0


def cmd_explain(settings: Settings, patient_id: str, as_of_given: bool) -> int:
    from pipelines.tools.explain import explain_patient

    print(explain_patient(settings, patient_id, as_of_given=as_of_given))
    return 0


def _format_validation(validation: dict) -> str:
    """`data quality: warnings (2 of 61 checks failed) ...`, one indented line per failure."""
    failed = [c for c in validation["checks"] if c["status"] == "failed"]
    lines = [
        f"data quality: {validation['status']} ({len(failed)} of {validation['checks_run']} checks failed)"
    ]
    lines += [f"  {c['severity']:<8}{c['table']}.{c['check']}: {c['detail']}" for c in failed]
    return "\n".join(lines)


def cmd_validate(settings: Settings) -> int:
    from pipelines.warehouse.runlock import run_lock

    with run_lock(settings.warehouse, "cohortscan validate", settings.lock_wait_seconds):
        _quiet_prefect()
        with prefect_api() as api:
            from pipelines.run.flows import validate_flow

            if api.temporary:
                import pipelines.checks.gate  # noqa: F401  (imported while the server boots)
            api.ready()
            result = validate_flow(
                settings.extracts, settings.warehouse, settings.out, settings.as_of, settings.extracts_format
            )
    files = result["files"]
    read = sum(f["rows_read"] for f in files)
    quarantined = sum(f["rows_quarantined"] for f in files)
    print(f"{len(files)} file(s): {read} rows read, {quarantined} quarantined")
    _print_quarantine(settings.warehouse, files)
    print(_format_validation(result["validation"]))
    print(f"data docs: {result['folder']}/data_docs/index.html")
    return 0


def cmd_network_merge(reports: list[str], out: Path, min_cell_count: int | None) -> int:
    """Merge the sites' feasibility reports; print the network funnel and where it went."""
    from pipelines.network.html import text
    from pipelines.network.merge import write_network

    report = write_network(reports, out, min_cell_count)
    print(
        f"network of {len(report['sites'])} site(s): trial {report['trial']['id']} as of {report['as_of']}, "
        f"trial version {report['trial_version']['sha256'][:12]}"
    )
    print(f"  {'step':<26}{'remaining':>14}{'removed':>14}{'unknown':>14}")
    for row in report["funnel"]["overall"]:
        cells = "".join(f"{text(row[m]):>14}" for m in ("remaining", "removed", "unknown"))
        print(f"  {row['step']:<26}{cells}")
    print(f"  written: {out / 'network.json'}, {out / 'network.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cohortscan` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        with files.private_umask(settings.private_group):
            return _run(args, settings)
    except CohortscanError as err:
        print(f"cohortscan: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("cohortscan: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    """The command's function (inside `main`'s private umask: patient-level files are
    readable by their owner only, pipelines/files.py)."""
    if args.command == "scan":
        return cmd_scan(settings)
    if args.command == "trials":
        return cmd_trials(settings)
    if args.command == "runs":
        return cmd_runs(settings, args.limit)
    if args.command == "whatif":
        return cmd_whatif(settings, args.assignments, args.as_of is not None, args.name)
    if args.command == "explain":
        return cmd_explain(settings, args.patient_id, args.as_of is not None)
    if args.command == "review":
        return cmd_review(settings, args)
    if args.command == "validate":
        return cmd_validate(settings)
    if args.command == "serve":
        return cmd_serve(settings)
    if args.command == "network":
        return cmd_network_merge(args.reports, args.network_out, args.min_cell_count)
    return 2


if __name__ == "__main__":
    sys.exit(main())
