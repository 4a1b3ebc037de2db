"""Criteria stage: a full evaluation against an incremental one after a night's delta.

    python bench/incremental.py --drop DIR --delta DIR --warehouse FILE [--as-of D] [--days N]

Ingests and stages the drop, evaluates every trial in full (timed), ingests and stages
the delta, then evaluates every trial incrementally as of `--days` days later (timed) and
again in full on the same staged tables (timed), and checks that both give identical
criteria results. Times are this process's CPU seconds (user + system, DuckDB's threads
included) and wall seconds of the criteria stage only (ingest and staging are not
timed). Prints one JSON object: the times, how each trial's incremental evaluation went
(`evaluate.last_plan`) and whether the results are identical.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.criteria import evaluate, trials  # noqa: E402
from pipelines.ingest import load as ingest  # noqa: E402
from pipelines.settings import Settings  # noqa: E402
from pipelines.staging import build as staging  # noqa: E402
from pipelines.warehouse.connect import open_warehouse  # noqa: E402

COMPARED = "patient_id, criterion_id, status, evidence, evidence_date, status_source, computed_status"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(action: Callable[[], object]) -> dict[str, float]:
    cpu, wall = _cpu(), time.monotonic()
    action()
    return {"cpu_s": round(_cpu() - cpu, 2), "wall_s": round(time.monotonic() - wall, 2)}


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop", type=Path, required=True)
    parser.add_argument("--delta", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 26))
    parser.add_argument("--days", type=int, default=1, help="days the as-of date moves for the delta")
    args = parser.parse_args(argv)
    settings = Settings()
    chosen = [trials.load_trial(settings.trials_dir, t) for t in trials.discover_trials(settings.trials_dir)]
    night = args.as_of + timedelta(days=args.days)

    def evaluate_all(as_of: date, full: bool) -> Callable[[], None]:
        return lambda: [evaluate.evaluate_trial(con, t, as_of, full=full) for t in chosen]

    with open_warehouse(args.warehouse) as con:
        ingest.ingest_drop(con, args.drop, "bench-drop")
        staging.build_staging(con)
        first = _timed(evaluate_all(args.as_of, full=True))
        ingest.ingest_drop(con, args.delta, "bench-delta")
        staging.build_staging(con)
        incremental = _timed(evaluate_all(night, full=False))
        plans = {t.id: evaluate.last_plan(con, t) for t in chosen}
        got = {
            t.id: con.execute(f"select {COMPARED} from {t.id}.criteria_results order by all").fetchall()
            for t in chosen
        }
        full = _timed(evaluate_all(night, full=True))
        want = {
            t.id: con.execute(f"select {COMPARED} from {t.id}.criteria_results order by all").fetchall()
            for t in chosen
        }
    print(
        json.dumps(
            {
                "criteria_full_first_night": first,
                "criteria_incremental_after_delta": incremental,
                "criteria_full_after_delta": full,
                "incremental_share_cpu": round(incremental["cpu_s"] / full["cpu_s"], 3),
                "identical": got == want,
                "plans": plans,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
