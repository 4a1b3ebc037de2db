"""Benchmark: how a scan's cost grows with the drop, against the cost of reading the files.

    .venv/bin/python bench/run.py [--sizes 10000,100000,1000000] [--seed 7] [--readme]

For each size (patients) it makes a drop with `sample_drops.generator` (kept under
`bench/out/drop-<N>-s<seed>/` and reused), then measures, each in a child process of its
own (wall seconds, CPU seconds, peak resident memory of that process):

- the floor: DuckDB loading every file of the drop once into an in-memory table, all
  columns as text (`read_csv(..., all_varchar = true)`, `read_parquet` for parquet);
- each stage on a fresh warehouse (`bench/stages.py`: ingest, validate_raw, stage,
  validate_staging, criteria, export): the plain functions the flow's tasks call;
- `cohortscan scan` end to end on another fresh warehouse (Prefect included), then
  `cohortscan whatif --set inc_renal.egfr_min=15`, then the same scan again with no new
  file (re-scan);
- the full scan again on a fresh warehouse, with a lasting Prefect server already
  running (`prefect server start`, as a site scheduling its scans has): the temporary
  server's start is then not paid; the server's CPU during the scan is counted;
- once, a scan of the small curated sample (`data/sample`): Prefect's fixed cost.

Drops larger than `--stages-max` patients (default 100 000) skip the per-stage processes
and the second scan on a lasting Prefect server
(they would double a run of hours); their stage figures are the full scan's own timings
(run.json `timings_seconds`), printed under the table.

It prints one table per size and the ratios against the targets, and writes every
figure to `bench/out/results-<N>.json`; `--readme` also writes the tables into
`bench/README.md` with the machine they ran on. CPU seconds are given beside wall
seconds because the 2-core machine is shared: wall time depends on the load of the
moment, CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PYTHON = sys.executable
COHORTSCAN = str(Path(PYTHON).with_name("cohortscan"))
AS_OF = "2026-11-26"
STAGES = ("imports", "ingest", "validate_raw", "stage", "validate_staging", "criteria", "export")
WHATIF = ["--set", "inc_renal.egfr_min=15", "--trial", "cart_autoimmune"]
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

FLOOR_CODE = """
import duckdb, sys, collections
files = sys.argv[1:]
kinds = collections.defaultdict(list)
for f in files:
    kinds[(f.split('/')[-1].split('-')[0].split('.')[0], f.endswith('.parquet'))].append(f)
con = duckdb.connect()
# Bounded like the warehouse: past the limit DuckDB spills to disk instead of growing.
con.execute("set memory_limit = '4GB'")
con.execute("set temp_directory = 'bench/out/tmp'")
rows = 0
for (kind, parquet), paths in sorted(kinds.items()):
    table = f"{kind}_{'pq' if parquet else 'csv'}"
    if parquet:
        con.execute(f"create table {table} as select * from read_parquet(?, union_by_name = true)", [paths])
    else:
        con.execute(
            f"create table {table} as select * from read_csv(?, all_varchar = true, "
            "union_by_name = true, header = true)", [paths])
    rows += con.execute(f"select count(*) from {table}").fetchone()[0]
print(rows)
"""


@dataclass
class Measure:
    """One child process: what ran and what it cost."""

    name: str
    wall: float
    cpu: float
    rss_mb: float
    rows: int | None = None
    ok: bool = True
    detail: dict = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.wall if self.rows and self.wall else None


def measure(name: str, cmd: list[str], log: Path, env: dict | None = None) -> tuple[Measure, str]:
    """Run `cmd` as a child process; its wall time, CPU time (user + system, threads
    included) and peak RSS come from `os.wait4`. Output goes to `log`; stdout is returned."""
    started = time.monotonic()
    with log.open("a") as err:
        err.write(f"\n$ {' '.join(cmd)}\n")
        err.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=ROOT, env=env, text=True)
        stdout = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.write(stdout[-4000:])
    wall = time.monotonic() - started
    result = Measure(
        name, round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2), round(usage.ru_maxrss / 1024, 1)
    )
    result.ok = proc.returncode == 0
    if not result.ok:
        result.detail["exit"] = proc.returncode
    return result, stdout


def drop_for(patients: int, seed: int, log: Path) -> Path:
    """The cached drop of `patients` patients (generated when missing or incomplete)."""
    drop = OUT / f"drop-{patients}-s{seed}"
    done = drop / ".complete"
    if not done.exists():
        shutil.rmtree(drop, ignore_errors=True)
        gen, _ = measure(
            "generate",
            [PYTHON, "-m", "sample_drops.generator", "--out", str(drop), "--patients", str(patients),
             "--seed", str(seed)],
            log,
        )  # fmt: skip
        if not gen.ok:
            raise SystemExit(f"generating {drop} failed; see {log}")
        done.write_text(json.dumps(asdict(gen)))
    return drop


def data_files(drop: Path) -> list[Path]:
    return sorted(p for p in drop.iterdir() if p.name.endswith((".csv", ".csv.gz", ".parquet")))


def median_of(runs: list[Measure]) -> Measure:
    """One measure for repeated runs: the median wall and the median CPU seconds (each
    taken apart), the highest peak RSS; every run's figures are kept in `detail`."""
    if len(runs) == 1:
        return runs[0]
    failed = [m for m in runs if not m.ok]
    if failed:
        return failed[0]
    first = runs[0]
    return Measure(
        f"{first.name} (median of {len(runs)})",
        statistics.median(m.wall for m in runs),
        statistics.median(m.cpu for m in runs),
        max(m.rss_mb for m in runs),
        rows=first.rows,
        detail={**runs[-1].detail, "runs": [[m.wall, m.cpu, m.rss_mb] for m in runs]},
    )


def floor(drop: Path, log: Path, repeat: int = 1) -> Measure:
    """DuckDB reading every file of the drop once into in-memory tables, as text."""
    runs = []
    for _ in range(repeat):
        result, stdout = measure("floor", [PYTHON, "-c", FLOOR_CODE, *map(str, data_files(drop))], log)
        result.rows = int(stdout.strip().splitlines()[-1]) if result.ok else None
        runs.append(result)
    return median_of(runs)


def stages(drop: Path, work: Path, log: Path) -> list[Measure]:
    """Each stage in its own process, on one fresh warehouse."""
    warehouse = work / "stages.duckdb"
    results = []
    for stage in STAGES:
        cmd = [PYTHON, str(BENCH / "stages.py"), stage, "--drop", str(drop), "--warehouse", str(warehouse),
               "--out", str(work / "stage-exports"), "--as-of", AS_OF]  # fmt: skip
        result, stdout = measure(stage, cmd, log)
        if result.ok:
            detail = json.loads(stdout.strip().splitlines()[-1])
            result.rows = detail.pop("rows")
            result.detail = {k: v for k, v in detail.items() if k != "stage"}
        results.append(result)
        if not result.ok:
            break
    return results


def scan_cmd(drop: Path, warehouse: Path, out: Path) -> list[str]:
    return [COHORTSCAN, "scan", "--extracts", str(drop), "--warehouse", str(warehouse), "--out", str(out),
            "--as-of", AS_OF]  # fmt: skip


def run_json_timings(out: Path) -> dict:
    path = out / "cart_autoimmune" / AS_OF / "run.json"
    return json.loads(path.read_text()).get("timings_seconds", {}) if path.exists() else {}


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                # fields after the command name: state ppid ... utime(14) stime(15)
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total, grew = {pid}, 0.0, True
    while grew:
        found = {child for child, (parent, _) in stats.items() if parent in tree} - tree
        grew = bool(found)
        tree |= found
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


@contextmanager
def lasting_server(work: Path, log: Path) -> Iterator[tuple[str, int]]:
    """`prefect server start` in the background, as a site running scheduled scans has:
    yields its API URL and process id, and stops it at the end."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(fresh(work / "prefect-home"))}
    env.pop("PREFECT_API_URL", None)
    cmd = [str(Path(PYTHON).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
           "--port", str(port), "--no-ui", "--no-scheduler", "--analytics-off"]  # fmt: skip
    with log.open("a") as err:
        server = subprocess.Popen(cmd, stdout=err, stderr=err, cwd=ROOT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with suppress(OSError), urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    break
            if server.poll() is not None:
                raise SystemExit(f"prefect server start exited with {server.returncode}; see {log}")
            time.sleep(0.5)
        else:
            raise SystemExit(f"prefect server did not answer within 120 s; see {log}")
        yield url, server.pid
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)


def scan_on_lasting_server(drop: Path, work: Path, log: Path, rows: int | None) -> Measure:
    """A full scan into a fresh warehouse with Prefect's API already running, as in
    production (`cohortscan serve`, a Prefect server): no temporary server to start. The
    server's own CPU during the scan is added to the scan's."""
    with lasting_server(work, log) as (url, pid):
        env = {**os.environ, "PREFECT_API_URL": url}
        before = _tree_cpu(pid)
        result, _ = measure(
            "scan (full, lasting Prefect server)",
            scan_cmd(drop, work / "scan-lasting.duckdb", work / "exports-lasting"),
            log,
            env,
        )
        server_cpu = round(_tree_cpu(pid) - before, 2)
    result.cpu = round(result.cpu + server_cpu, 2)
    result.rows = rows
    result.detail["server_cpu"] = server_cpu
    return result


def scans(
    drop: Path, work: Path, log: Path, rows: int | None, lasting: bool = True, repeat: int = 1
) -> list[Measure]:
    """Full scan (`repeat` times, each on a fresh warehouse), then what-if and re-scan
    with the CLI on the last one's warehouse."""
    warehouse, out = work / "scan.duckdb", work / "exports"
    runs = []
    for _ in range(repeat):
        for leftover in [out, *work.glob(warehouse.name + "*")]:  # warehouse, its wal, lock, .validated
            remove(leftover)
        run, _ = measure("scan (full)", scan_cmd(drop, warehouse, out), log)
        run.rows, run.detail["run_json_timings"] = rows, run_json_timings(out)
        runs.append(run)
    full = median_of(runs)
    results = [full]
    if not full.ok:
        return results
    cmd = [COHORTSCAN, "whatif", *WHATIF, "--warehouse", str(warehouse), "--out", str(out)]
    whatif, _ = measure("what-if", cmd, log)
    rescan, _ = measure("re-scan (no new file)", scan_cmd(drop, warehouse, out), log)
    rescan.detail["run_json_timings"] = run_json_timings(out)
    extra = [scan_on_lasting_server(drop, work, log, rows)] if lasting else []
    return [*results, whatif, rescan, *extra]


def fixed_cost(work: Path, log: Path) -> Measure:
    """A scan of the small curated sample: mostly Prefect's start-up and per-task cost."""
    result, _ = measure(
        "scan of data/sample (Prefect fixed cost)",
        scan_cmd(ROOT / "data" / "sample", work / "sample.duckdb", work / "sample-exports"),
        log,
    )
    return result


def remove(path: Path) -> None:
    """Delete a file or a folder, if there."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def machine() -> str:
    """CPU model, cores and memory of this machine, and the date."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {when}; load average at "
        f"start {load:.1f}"
    )


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def table(patients: int, floor_m: Measure, stage_ms: list[Measure], scan_ms: list[Measure]) -> str:
    """The markdown table of one size, then the ratios against the targets."""
    lines = [
        f"#### {patients:,} patients ({floor_m.rows or 0:,} rows in the drop)",
        "",
        "| step | wall s | CPU s | rows | rows/s (wall) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in [floor_m, *stage_ms, *scan_ms]:
        flag = "" if m.ok else f" (FAILED, exit {m.detail.get('exit')})"
        lines.append(
            f"| {m.name}{flag} | {_fmt(m.wall)} | {_fmt(m.cpu)} | "
            f"{'-' if m.rows is None else f'{m.rows:,}'} | {_fmt(m.rows_per_s, 0)} | {_fmt(m.rss_mb, 0)} |"
        )
    work = [m for m in stage_ms if m.name != "imports"]
    if work:
        wall, cpu = sum(m.wall for m in work), sum(m.cpu for m in work)
        lines.append(f"| sum of stages (each paid its own imports) | {_fmt(wall)} | {_fmt(cpu)} | | | |")
    lines.append("")
    by_name = {m.name.split(" (median of")[0]: m for m in scan_ms}
    full = by_name.get("scan (full)")
    if full and full.ok and floor_m.ok:
        lines.append(
            f"- full scan / floor: {full.wall / floor_m.wall:.1f}x wall, {full.cpu / floor_m.cpu:.1f}x CPU "
            "(target <= 3x for 100k patients)"
        )
        lasting = by_name.get("scan (full, lasting Prefect server)")
        if lasting and lasting.ok:
            lines.append(
                f"- full scan with a lasting Prefect server / floor: "
                f"{lasting.wall / floor_m.wall:.1f}x wall, {lasting.cpu / floor_m.cpu:.1f}x CPU "
                f"(the server's {lasting.detail['server_cpu']} s of CPU during the scan included)"
            )
        peak = max([full.rss_mb, *(m.rss_mb for m in stage_ms)])
        lines.append(f"- peak RSS: {peak:,.0f} MB (target <= 2,048 MB)")
        for name, target in (("what-if", 10), ("re-scan (no new file)", 20)):
            m = by_name.get(name)
            if m and m.ok:
                lines.append(
                    f"- {name} / full scan: {100 * m.wall / full.wall:.0f} % wall, "
                    f"{100 * m.cpu / full.cpu:.0f} % CPU (target <= {target} %)"
                )
        stamped = full.detail.get("run_json_timings")
        if stamped:
            lines.append(
                "- run.json timings of the full scan (s): "
                + ", ".join(f"{k} {v}" for k, v in stamped.items())
            )
    return "\n".join(lines)


def write_readme(text: str) -> None:
    """Replace the figures between the markers of bench/README.md."""
    readme = BENCH / "README.md"
    current = readme.read_text(encoding="utf-8")
    start, end = current.index(README_START), current.index(README_END)
    readme.write_text(
        current[: start + len(README_START)] + "\n" + text + "\n" + current[end:], encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: measure each size, print and keep the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="patients, comma separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage processes")
    parser.add_argument(
        "--stages-max",
        type=int,
        default=100_000,
        help="run the per-stage processes only for drops of at most this many patients (default "
        "100000; larger drops show the full scan's own stage timings from run.json)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the floor and the full scan this many times and report the medians (the "
        "machine is shared: single runs move by 10 to 15 %%)",
    )
    parser.add_argument("--readme", action="store_true", help="write the tables into bench/README.md")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    header = f"Machine: {machine()}"
    print(header, flush=True)
    log = OUT / "bench.log"
    sample = fixed_cost(fresh(OUT / "work-sample"), log)
    sections = [
        header,
        "",
        f"Prefect fixed cost: a scan of data/sample (300 patients) takes {sample.wall:.1f} s wall, "
        f"{sample.cpu:.1f} s CPU, {sample.rss_mb:,.0f} MB peak RSS.",
    ]
    print(sections[-1], flush=True)
    for patients in sizes:
        drop = drop_for(patients, args.seed, log)
        work = fresh(OUT / f"work-{patients}")
        floor_m = floor(drop, log, args.repeat)
        per_stage = not args.no_stages and patients <= args.stages_max
        stage_ms = stages(drop, work, log) if per_stage else []
        scan_ms = scans(drop, work, log, floor_m.rows, lasting=per_stage, repeat=args.repeat)
        text = table(patients, floor_m, stage_ms, scan_ms)
        print("\n" + text, flush=True)
        sections += ["", text]
        results = {"machine": header, "patients": patients,
                   "measures": [asdict(m) for m in [sample, floor_m, *stage_ms, *scan_ms]]}  # fmt: skip
        (OUT / f"results-{patients}.json").write_text(json.dumps(results, indent=2))
        if args.readme:
            write_readme("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
