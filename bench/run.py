"""Benchmark: how a scan's cost grows with the drop, against the cost of reading the files.

    .venv/bin/python bench/run.py [--sizes 10000,100000,500000:sparse,1000000] [--seed 7] [--readme]

A size is a number of patients, optionally with the generator's shape after a colon
(`500000:sparse`: about 24 rows a patient instead of about 120). For each size it makes a
drop with `sample_drops.generator` (kept under `bench/out/drop-<N>[-<shape>]-s<seed>/` and
reused), and a night's delta for it (`--delta-share 0.01`: about 1 % new rows, under
`bench/out/delta-...`), then measures, each in a child process of its own (wall seconds,
CPU seconds, peak resident memory of that process):

- the floor: DuckDB loading every file of the drop once into an in-memory table, all
  columns as text (`read_csv(..., all_varchar = true)`, `read_parquet` for parquet);
- each stage on a fresh warehouse (`bench/stages.py`: ingest, validate_raw, stage,
  validate_staging, criteria, export): the plain functions the flow's tasks call;
- `cohortscan scan` end to end on another fresh warehouse (Prefect included), then
  `cohortscan whatif --set inc_renal.egfr_min=15`, then the same scan again with no new
  file (re-scan), then a scan of the delta folder alone into that warehouse (the nightly
  delta), and a full scan of the drop and the delta together into a fresh warehouse, whose
  candidates and criteria statuses the delta's must equal (the re-scan's must equal the
  first full scan's);
- the full scan again on a fresh warehouse, with a lasting Prefect server already
  running (`prefect server start`, as a site scheduling its scans has): the temporary
  server's start is then not paid; the server's CPU during the scan is counted;
- once, a scan of the small curated sample (`data/sample`): Prefect's fixed cost.

Drops larger than `--stages-max` patients (default 100 000) skip the per-stage processes
and the second scan on a lasting Prefect server
(they would double a run of hours); their stage figures are the full scan's own timings
(run.json `timings_seconds`), printed under the table.

It prints one table per size, then every target of issue 20 with the figure measured for
it and a verdict computed from that figure (`not measured` when this run had no such
size), and writes every figure to `bench/out/results-<N>[-<shape>].json`; `--readme` also
writes the tables into
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
DELTA_SHARE = 0.01
COMPARED = ("candidates.parquet", "criteria.parquet")
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


@dataclass(frozen=True)
class Size:
    """A benchmark drop: patients and the generator's shape (rows per patient)."""

    patients: int
    shape: str = "standard"

    @property
    def key(self) -> str:
        return str(self.patients) if self.shape == "standard" else f"{self.patients}-{self.shape}"

    @property
    def title(self) -> str:
        return f"{self.patients:,} patients" + ("" if self.shape == "standard" else f", {self.shape} shape")


def parse_sizes(text: str) -> list[Size]:
    """`10000,500000:sparse` -> [Size(10000), Size(500000, 'sparse')]."""
    sizes = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            patients, _, shape = item.partition(":")
            sizes.append(Size(int(patients), shape or "standard"))
    return sizes


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


def drop_for(size: Size, seed: int, log: Path, delta: bool = False) -> Path:
    """The cached drop of `size` (generated when missing or incomplete), or with `delta`
    its night of about 1 % new rows."""
    drop = OUT / f"{'delta' if delta else 'drop'}-{size.key}-s{seed}"
    done = drop / ".complete"
    if not done.exists():
        shutil.rmtree(drop, ignore_errors=True)
        extra = ["--delta-share", str(DELTA_SHARE)] if delta else []
        gen, _ = measure(
            "generate",
            [PYTHON, "-m", "sample_drops.generator", "--out", str(drop), "--patients", str(size.patients),
             "--seed", str(seed), "--shape", size.shape, *extra],
            log,
        )  # fmt: skip
        if not gen.ok:
            raise SystemExit(f"generating {drop} failed; see {log}")
        done.write_text(json.dumps(asdict(gen)))
    return drop


def count_rows(folder: Path) -> int:
    """Data rows of the files of a drop folder (CSV read as text, Parquet)."""
    import duckdb

    total = 0
    with duckdb.connect() as con:
        for path in data_files(folder):
            reader = (
                "read_parquet(?)"
                if path.suffix == ".parquet"
                else "read_csv(?, all_varchar = true, header = true)"
            )
            total += con.execute(f"select count(*) from {reader}", [str(path)]).fetchone()[0]
    return total


def union_of(folders: list[Path], target: Path) -> Path:
    """A folder of links to the data files of `folders` (a drop and its delta): what a
    full scan of everything delivered so far reads."""
    fresh(target)
    for folder in folders:
        for path in data_files(folder):
            (target / path.name).symlink_to(path)
    return target


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


def snapshot(out: Path, target: Path) -> Path:
    """Copy the compared exports (candidates and criteria Parquet) of every trial's AS_OF
    folder under `out` to `target`, before a later scan replaces them."""
    fresh(target)
    for folder in sorted(out.glob(f"*/{AS_OF}")):
        if folder.parent.name.startswith(("_", ".")):
            continue
        (target / folder.parent.name).mkdir()
        for name in COMPARED:
            shutil.copy2(folder / name, target / folder.parent.name / name)
    return target


def compare_exports(expected: Path, actual: Path) -> dict:
    """Candidates (patient, status, rank, score) and criteria statuses (patient x
    criterion) of every trial in `expected` against `actual`: the rows compared and the
    rows found on one side only. Folders as `snapshot` writes them, or export folders."""
    import duckdb

    def parquet(root: Path, trial: str, name: str) -> str:
        folder = root / trial / AS_OF if (root / trial / AS_OF).is_dir() else root / trial
        return str(folder / name).replace("'", "''")

    columns = {
        "candidates.parquet": "patient_id, status, rank, score",
        "criteria.parquet": "patient_id, criterion_id, status",
    }
    trials = sorted(p.name for p in expected.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    compared, differing = 0, 0
    with duckdb.connect() as con:
        for trial in trials:
            for name, cols in columns.items():
                left = f"select {cols} from read_parquet('{parquet(expected, trial, name)}')"
                right = f"select {cols} from read_parquet('{parquet(actual, trial, name)}')"
                compared += con.execute(f"select count(*) from ({left})").fetchone()[0]
                differing += con.execute(
                    f"select (select count(*) from ({left} except all {right})) "
                    f"+ (select count(*) from ({right} except all {left}))"
                ).fetchone()[0]
    return {"trials": trials, "rows_compared": compared, "rows_differing": differing}


def scans(
    drop: Path,
    work: Path,
    log: Path,
    rows: int | None,
    lasting: bool = True,
    repeat: int = 1,
    delta: Path | None = None,
) -> tuple[list[Measure], dict[str, dict]]:
    """Full scan (`repeat` times, each on a fresh warehouse), then what-if, re-scan and
    (with `delta`) the nightly delta with the CLI on the last one's warehouse, and a full
    scan of drop and delta together to check the delta's results. Returns the measures
    and the comparisons of results (`compare_exports`) by path."""
    warehouse, out = work / "scan.duckdb", work / "exports"
    runs = []
    for _ in range(repeat):
        for leftover in [out, *work.glob(warehouse.name + "*")]:  # warehouse, its wal, lock, .validated
            remove(leftover)
        run, _ = measure("scan (full)", scan_cmd(drop, warehouse, out), log)
        run.rows, run.detail["run_json_timings"] = rows, run_json_timings(out)
        runs.append(run)
    full = median_of(runs)
    results, checks = [full], {}
    if not full.ok:
        return results, checks
    first = snapshot(out, work / "compared-full")
    cmd = [COHORTSCAN, "whatif", *WHATIF, "--warehouse", str(warehouse), "--out", str(out)]
    whatif, _ = measure("what-if", cmd, log)
    rescan, _ = measure("re-scan (no new file)", scan_cmd(drop, warehouse, out), log)
    rescan.detail["run_json_timings"] = run_json_timings(out)
    if rescan.ok:
        checks["re-scan (no new file)"] = compare_exports(first, out)
    results += [whatif, rescan]
    if delta is not None:
        delta_rows = count_rows(delta)
        nightly, _ = measure("nightly delta (1 % new rows)", scan_cmd(delta, warehouse, out), log)
        nightly.rows, nightly.detail["run_json_timings"] = delta_rows, run_json_timings(out)
        union_out = work / "exports-union"
        union, _ = measure(
            "scan (full, drop + delta)",
            scan_cmd(union_of([drop, delta], work / "union"), work / "union.duckdb", union_out),
            log,
        )
        if nightly.ok and union.ok:
            checks["nightly delta (1 % new rows)"] = compare_exports(union_out, out)
        results += [nightly, union]
    extra = [scan_on_lasting_server(drop, work, log, rows)] if lasting else []
    return [*results, *extra], checks


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


def ratios(floor_m: Measure, stage_ms: list[Measure], scan_ms: list[Measure]) -> dict[str, float]:
    """The figures the targets are about, from one size's measures (missing ones left out)."""
    by_name = {m.name.split(" (median of")[0]: m for m in scan_ms}
    full = by_name.get("scan (full)")
    found: dict[str, float] = {}
    if not (full and full.ok):
        return found
    found["peak_rss_mb"] = max([full.rss_mb, *(m.rss_mb for m in stage_ms if m.ok)])
    if floor_m.ok:
        found["scan_floor_wall"] = full.wall / floor_m.wall
        found["scan_floor_cpu"] = full.cpu / floor_m.cpu
    for key, name in (
        ("whatif", "what-if"),
        ("rescan", "re-scan (no new file)"),
        ("delta", "nightly delta (1 % new rows)"),
    ):
        m = by_name.get(name)
        if m and m.ok:
            found[f"{key}_wall"] = m.wall / full.wall
            found[f"{key}_cpu"] = m.cpu / full.cpu
    return found


def table(size: Size, floor_m: Measure, stage_ms: list[Measure], scan_ms: list[Measure], checks: dict) -> str:
    """The markdown table of one size, then its ratios and result comparisons."""
    lines = [
        f"#### {size.title} ({floor_m.rows or 0:,} rows in the drop)",
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
    found = ratios(floor_m, stage_ms, scan_ms)
    if "scan_floor_wall" in found:
        lines.append(
            f"- full scan / floor: {found['scan_floor_wall']:.1f}x wall, {found['scan_floor_cpu']:.1f}x CPU"
        )
    by_name = {m.name.split(" (median of")[0]: m for m in scan_ms}
    lasting = by_name.get("scan (full, lasting Prefect server)")
    if lasting and lasting.ok and floor_m.ok:
        lines.append(
            f"- full scan with a lasting Prefect server / floor: "
            f"{lasting.wall / floor_m.wall:.1f}x wall, {lasting.cpu / floor_m.cpu:.1f}x CPU "
            f"(the server's {lasting.detail['server_cpu']} s of CPU during the scan included)"
        )
    if "peak_rss_mb" in found:
        lines.append(f"- peak RSS: {found['peak_rss_mb']:,.0f} MB")
    for key, name in (("whatif", "what-if"), ("rescan", "re-scan (no new file)"), ("delta", "nightly delta")):
        if f"{key}_wall" in found:
            lines.append(
                f"- {name} / full scan: {100 * found[f'{key}_wall']:.0f} % wall, "
                f"{100 * found[f'{key}_cpu']:.0f} % CPU"
            )
    for name, check in checks.items():
        lines.append(
            f"- results of the {name} against a full scan: {check['rows_differing']:,} of "
            f"{check['rows_compared']:,} candidate and criteria rows differ ({', '.join(check['trials'])})"
        )
    full = by_name.get("scan (full)")
    stamped = full.detail.get("run_json_timings") if full else None
    if stamped:
        lines.append(
            "- run.json timings of the full scan (s): " + ", ".join(f"{k} {v}" for k, v in stamped.items())
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One target of issue 20: the size it is measured on, the figure and its limit."""

    row: str
    size: Size | None  # None: every size of the run
    figure: str  # a key of `ratios`, or "identical"
    limit: float
    unit: str


TARGETS = (
    Target("full scan <= 4x the floor, 100,000 patients", Size(100_000), "scan_floor", 4, "x"),
    Target(
        "full scan <= 4x the floor, ~500,000 patients x ~24 rows",
        Size(500_000, "sparse"),
        "scan_floor",
        4,
        "x",
    ),
    Target("full scan <= 5x the floor, 1,000,000 patients", Size(1_000_000), "scan_floor", 5, "x"),
    Target("peak RSS <= 2 GB, 1,000,000 patients", Size(1_000_000), "peak_rss_mb", 2048, "MB"),
    Target(
        "nightly delta of 1 % new rows <= 15 % of a full scan, 100,000 patients",
        Size(100_000),
        "delta",
        0.15,
        "%",
    ),
    Target("what-if <= 5 % of a full scan, 100,000 patients", Size(100_000), "whatif", 0.05, "%"),
    Target(
        "results identical (candidates, criteria statuses) on delta and re-scan", None, "identical", 0, "rows"
    ),
)


def _show(value: float, unit: str) -> str:
    return {"x": f"{value:.1f}x", "%": f"{100 * value:.0f} %", "MB": f"{value:,.0f} MB"}.get(
        unit, f"{value:,.0f}"
    )


def verdicts(measured: dict[Size, dict]) -> list[tuple[str, str, str, str]]:
    """Every target with what was measured for it and its verdict, computed from the
    figures: `met` when within the limit (wall and CPU both, for a ratio), `not met`
    when over it in both, `met on CPU only` / `met on wall only` otherwise, `not
    measured` when the run had no such size or the figure is missing.
    `measured` maps a size to {"ratios": ratios(...), "checks": {...}}."""
    rows = []
    for t in TARGETS:
        limit = _show(t.limit, t.unit) if t.unit != "rows" else "0 rows differ"
        if t.figure == "identical":
            checks = [(size, name, c) for size, m in measured.items() for name, c in m["checks"].items()]
            if not checks:
                rows.append((t.row, limit, "-", "not measured"))
                continue
            differing = sum(c["rows_differing"] for _, _, c in checks)
            empty = [c for _, _, c in checks if not c["rows_compared"]]
            shown = "; ".join(
                f"{size.key} {name}: {c['rows_differing']:,} of {c['rows_compared']:,}"
                for size, name, c in checks
            )
            verdict = "not measured" if empty else ("met" if differing == 0 else "not met")
            rows.append((t.row, limit, shown, verdict))
            continue
        found = measured.get(t.size, {}).get("ratios", {})
        if t.figure == "peak_rss_mb":
            value = found.get("peak_rss_mb")
            if value is None:
                rows.append((t.row, limit, "-", "not measured"))
            else:
                rows.append((t.row, limit, _show(value, t.unit), "met" if value <= t.limit else "not met"))
            continue
        wall, cpu = found.get(f"{t.figure}_wall"), found.get(f"{t.figure}_cpu")
        if wall is None or cpu is None:
            rows.append((t.row, limit, "-", "not measured"))
            continue
        within = (wall <= t.limit, cpu <= t.limit)
        verdict = {
            (True, True): "met",
            (False, False): "not met",
            (True, False): "met on wall only",
            (False, True): "met on CPU only",
        }[within]
        rows.append((t.row, limit, f"{_show(wall, t.unit)} wall, {_show(cpu, t.unit)} CPU", verdict))
    return rows


def verdict_table(measured: dict[Size, dict]) -> str:
    lines = ["#### Targets (issue 20)", "", "| target | limit | measured | verdict |", "|---|---|---|---|"]
    lines += [
        f"| {row} | {limit} | {shown} | {verdict} |" for row, limit, shown, verdict in verdicts(measured)
    ]
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
    parser.add_argument(
        "--sizes",
        default="10000,100000,500000:sparse,1000000",
        help="patients, comma separated, each with an optional generator shape (500000:sparse)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage processes")
    parser.add_argument(
        "--no-delta", action="store_true", help="skip the nightly delta and the full scan that checks it"
    )
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
    sizes = parse_sizes(args.sizes)
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
    measured: dict[Size, dict] = {}
    for size in sizes:
        drop = drop_for(size, args.seed, log)
        delta = None if args.no_delta else drop_for(size, args.seed, log, delta=True)
        work = fresh(OUT / f"work-{size.key}")
        floor_m = floor(drop, log, args.repeat)
        per_stage = not args.no_stages and size.patients <= args.stages_max
        stage_ms = stages(drop, work, log) if per_stage else []
        scan_ms, checks = scans(
            drop, work, log, floor_m.rows, lasting=per_stage, repeat=args.repeat, delta=delta
        )
        text = table(size, floor_m, stage_ms, scan_ms, checks)
        print("\n" + text, flush=True)
        sections += ["", text]
        measured[size] = {"ratios": ratios(floor_m, stage_ms, scan_ms), "checks": checks}
        results = {"machine": header, "patients": size.patients, "shape": size.shape, "checks": checks,
                   "measures": [asdict(m) for m in [sample, floor_m, *stage_ms, *scan_ms]]}  # fmt: skip
        (OUT / f"results-{size.key}.json").write_text(json.dumps(results, indent=2))
        if args.readme:
            write_readme("\n".join([*sections, "", verdict_table(measured)]))
    text = verdict_table(measured)
    print("\n" + text, flush=True)
    if args.readme:
        write_readme("\n".join([*sections, "", text]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
