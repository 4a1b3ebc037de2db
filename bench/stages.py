"""Run one stage of a scan in this process, on a warehouse file, for the benchmark.

    python bench/stages.py STAGE --drop DIR --warehouse FILE --out DIR [--as-of D] [--incremental]

STAGE is one of ingest, validate_raw, stage, validate_staging, criteria, export (in
that order they make a full scan, the Prefect flows left out), or imports: Python's
start and the import of every module a scan uses, and nothing else (the fixed cost each
stage's process pays once; a scan pays it once in all). Each calls the plain
function the flow's task calls, so that the caller (`bench/run.py`) can measure the
stage's wall time, CPU time and peak resident memory as those of a child process.
Prints one JSON line: the stage and the rows it handled. With `--incremental`, staging
and the checks do what a scan plans (pipelines/staging/incremental.py): a delta when the
warehouse's last staging passed the checks and only new loads came since (the checks then
read the delta's rows), else every row; a staging check without a failed error records
that the gate passed, as a scan does.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.criteria import trials  # noqa: E402
from pipelines.settings import Settings  # noqa: E402
from pipelines.staging.build import STAGED_DATA_TABLES  # noqa: E402
from pipelines.warehouse.connect import open_warehouse, scalar  # noqa: E402

STAGES = ("imports", "ingest", "validate_raw", "stage", "validate_staging", "criteria", "export")
RUN_ID = "bench"


def _rows(con, tables: tuple[str, ...]) -> int:
    """Rows of the tables a stage reads (those that exist)."""
    found = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    return sum(scalar(con, f"select count(*) from {t}") for t in tables if t in found)


RAW = ("raw_patients", "raw_diagnoses", "raw_labs", "raw_medications")
STG = STAGED_DATA_TABLES


def run_stage(
    stage: str, drop: Path, warehouse: Path, out: Path, as_of: date, incremental: bool = False
) -> dict:
    """Run `stage` and return what it did (rows handled); modules are imported only by
    the stages that need them, so that a stage's cost is not that of every import."""
    if stage == "imports":
        # every module a scan uses: the flows, and Great Expectations (flows import it lazily)

        return {"rows": 0}
    settings = Settings()
    trial_ids = trials.discover_trials(settings.trials_dir)
    work_dir = out / ".dq-bench"
    with open_warehouse(warehouse) as con:
        if stage == "ingest":
            from pipelines.ingest import load as ingest

            results = ingest.ingest_drop(con, drop, RUN_ID)
            return {"rows": sum(r.rows_read for r in results), "files": len(results)}
        if stage in ("validate_raw", "validate_staging"):
            from pipelines.checks import gate as quality
            from pipelines.staging import build as staging
            from pipelines.staging import incremental as plans

            kind = stage.split("_")[1]
            since = (
                plans.plan_staging(con, tables=staging.STAGING_ORDER).since_load_id if incremental else None
            )
            # as in a scan: Data Docs built once, after the staging checks
            results = quality.run_suites(
                con,
                kind,
                as_of,
                RUN_ID,
                work_dir,
                batch_rows=settings.dq_batch_rows,
                docs=kind == "staging",
                since_load_id=since,
            )
            failed = [f"{r['table']}.{r['check']}" for r in results if r["status"] == "failed"]
            if incremental and kind == "staging" and not quality.failure_message(results):
                plans.mark_validated(con, RUN_ID)
            return {
                "rows": _rows(con, RAW if kind == "raw" else STG),
                "checked": sum(r["element_count"] or 0 for r in results if r["expectation"] != "sql rule"),
                "since_load_id": since,
                "checks": len(results),
                "failed": failed,
            }
        if stage == "stage":
            from pipelines.staging import build as staging
            from pipelines.staging import incremental as plans

            plan = plans.plan_staging(con, tables=staging.STAGING_ORDER) if incremental else None
            counts = staging.build_staging(con, plan, RUN_ID)
            mode = plan.mode if plan else "full"
            return {"rows": _rows(con, RAW), "staged": counts, "mode": mode}
        if stage == "criteria":
            from pipelines.criteria import evaluate

            statuses = {}
            for trial_id in trial_ids:
                trial = trials.load_trial(settings.trials_dir, trial_id)
                statuses[trial_id] = evaluate.evaluate_trial(con, trial, as_of)
                evaluate.funnel(con, trial)
            return {"rows": _rows(con, STG), "statuses": statuses}
        if stage == "export":
            from pipelines.exports import write as exports
            from pipelines.run import history as runs

            exports.clean_partials(out)
            written = 0
            for trial_id in trial_ids:
                trial = trials.load_trial(settings.trials_dir, trial_id)
                info = runs.run_info(
                    run_id=RUN_ID, trial=trial, as_of=as_of, extracts=drop, started_at=datetime.now(),
                    files=[], staging_counts={}, statuses={}, funnel=[], validation={}, timings={},
                )  # fmt: skip
                exports.write_trial_exports(con, trial, out, as_of.isoformat(), RUN_ID, info)
                written += scalar(con, f'select count(*) from "{trial_id}".criteria_results')
            return {"rows": written}
    raise ValueError(f"unknown stage {stage!r} (expected one of {', '.join(STAGES)})")


def main(argv: list[str] | None = None) -> int:
    """Command line: run one stage, print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--drop", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 26))
    parser.add_argument("--incremental", action="store_true", help="stage and check as a scan plans")
    args = parser.parse_args(argv)
    result = run_stage(args.stage, args.drop, args.warehouse, args.out, args.as_of, args.incremental)
    print(json.dumps({"stage": args.stage, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
