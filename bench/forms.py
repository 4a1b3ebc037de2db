"""Time to read one drop in each of its forms: contract files, OMOP CDM tables, FHIR ndjson.

    python bench/forms.py --patients 10000 [--out /tmp/cohortscan-bench-forms] [--forms contract,omop,fhir]

Makes a contract drop with the sample generator, renders it as an OMOP CDM
(`sample_drops.omop`) and as FHIR R4 bulk ndjson (`sample_drops.fhir`), then loads each
into its own new warehouse with the reader of its form (`pipelines.ingest.forms.read_drop`)
and prints wall and CPU seconds, rows read, loaded and quarantined. Only ingest is timed:
the stages after it read the same raw tables whatever the form. `--forms` times only the
forms named (the drops are made, once, as for all three).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.ingest import forms  # noqa: E402
from pipelines.warehouse.connect import open_warehouse  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/cohortscan-bench-forms"))
    parser.add_argument(
        "--forms", default="contract,omop,fhir", help="forms to time, comma separated (default: all three)"
    )
    args = parser.parse_args()
    timed = [f.strip() for f in args.forms.split(",") if f.strip()]
    if unknown := set(timed) - {"contract", "omop", "fhir"}:
        parser.error(f"--forms: unknown form(s) {', '.join(sorted(unknown))} (expected contract, omop, fhir)")
    base = args.out / str(args.patients)
    contract, omop, fhir = base / "contract", base / "omop", base / "fhir"
    if not (base / ".complete").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        _run("sample_drops.generator", "--out", str(contract), "--patients", str(args.patients))
        _run("sample_drops.omop", "--drop", str(contract), "--out", str(omop))
        _run("sample_drops.fhir", str(contract), str(fhir))
        (base / ".complete").write_text("")
    print(f"{args.patients} patients; load average at start {os.getloadavg()[0]:.1f}")
    print(f"{'form':<9} {'wall s':>8} {'cpu s':>8} {'read':>10} {'loaded':>10} {'quarantined':>12}")
    baseline = None
    for form, drop in (("contract", contract), ("omop", omop), ("fhir", fhir)):
        if form not in timed:
            continue
        warehouse = base / f"{form}.duckdb"
        warehouse.unlink(missing_ok=True)
        started, cpu = time.monotonic(), _cpu()
        with open_warehouse(warehouse) as con:
            results = forms.read_drop(con, drop, f"bench-{form}", form=form)
        wall, cpu = time.monotonic() - started, _cpu() - cpu
        if form == "contract":
            baseline = wall
        read = sum(r.rows_read for r in results)
        loaded = sum(r.rows_loaded for r in results)
        quarantined = sum(r.rows_quarantined for r in results)
        print(
            f"{form:<9} {wall:>8.1f} {cpu:>8.1f} {read:>10,} {loaded:>10,} {quarantined:>12,}"
            + (f"   {wall / baseline:.1f}x contract" if baseline else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
