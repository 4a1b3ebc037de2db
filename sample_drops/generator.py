"""Deterministic sample and benchmark drops in the extract contract.

    python -m sample_drops.generator --out data/sample [--patients N] [--seed 7]
                                    [--as-of 2026-11-26] [--chunk-patients K] [--site NAME]
                                    [--shape standard|sparse] [--delta-share 0.01]

Up to `SAMPLE_MAX_PATIENTS` patients it writes the curated sample drop: the edge-case
patients of `sample_drops.cases`, seeded random filler patients, `expected/statuses.csv` and a
README. Above that it writes a benchmark drop of random patients only, in chunks of
`chunk_patients` (one file per kind and chunk, memory bounded by the chunk), in one of
two shapes (`SHAPES`): `standard`, about 100 labs, 10 diagnoses and 10 medication rows per
patient; `sparse`, about 18 labs, 3 diagnoses and 3 medication rows (24 rows a patient,
the second drop of issue 20: many patients, few rows each). Both have about 0.1 % bad rows.
With `delta_share` it writes instead the new rows of a night for that drop: lab, diagnosis
and medication rows (no patients file) for a block of existing patients, about that share
of the drop's rows, in files named `<kind>-delta-0001...` that sit beside the drop's own.
`--site NAME` makes the drop one hospital of a network: every patient id starts with
`NAME-` and every site_id is NAME, so that drops of several sites never share a patient.

The generator plays a site's data team: it writes the contract's columns by itself and
does not import the pipeline's contract module, so the sample stays an independent check.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import logging
import math
import multiprocessing
import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sample_drops import cases as sample_cases
from sample_drops.cases import LABS, MEDS, PROFILES

log = logging.getLogger(__name__)

AS_OF = date(2026, 11, 26)
AS_OF_FILE = "sample-as-of.txt"  # the drop's own date, beside its files (as pipelines.settings names it)
SAMPLE_MAX_PATIENTS = 1_000
DEFAULT_CHUNK = 25_000
LABS_SPLIT_DAYS = 30  # sample: labs older than this go to file -a, the rest to -b

COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id", "sex", "birth_date", "birth_year", "site_id", "death_date"),
    "diagnoses": ("patient_id", "code_system", "code", "diagnosis_date", "source"),
    "labs": (
        "patient_id",
        "code_system",
        "code",
        "result_date",
        "value_num",
        "value_text",
        "unit",
        "ref_low",
        "ref_high",
    ),
    "medications": (
        "patient_id",
        "code_system",
        "code",
        "drug_name",
        "start_date",
        "end_date",
        "dose_value",
        "dose_unit",
        "frequency",
        "route",
    ),
}
DATE_COLUMNS = {"start_date", "end_date"}  # typed DATE in medications parquet
NOTE = "_note"  # internal column: why a curated row must be quarantined

# The catalog as arrays, so that a chunk's rows are drawn by index and taken in bulk.
DX_FORMATTED = pa.array([s for c in sample_cases.DX_CODES for s in sample_cases.dx_spellings(c)])
DX_SYSTEMS = pa.array(["SNOMEDCT" if c.isdigit() else "ICD10CM" for c in sample_cases.DX_CODES])
DX_SPELLING_P = (0.8, 0.08, 0.05, 0.04, 0.03)
LAB_P = np.array([t.weight for t in LABS]) / sum(t.weight for t in LABS)
LAB_TEXTS = pa.array(sample_cases.LAB_TEXT_LIST)
DOSES = [dose for drug in MEDS for dose in drug.doses]
DOSE_FIRST = np.cumsum([0] + [len(d.doses) for d in MEDS])
FREQS = pa.array([freq for drug in MEDS for freq in drug.freqs])
FREQ_FIRST = np.cumsum([0] + [len(d.freqs) for d in MEDS])
MED_CODES = pa.array([d.code for d in MEDS] + [d.atc for d in MEDS], pa.string())
MED_SYSTEMS = pa.array([d.system for d in MEDS] + ["ATC"] * len(MEDS))

EXPECTED = "expected/statuses.csv"


@dataclass(frozen=True)
class Rates:
    """Mean rows per patient and the share of rows that break the contract."""

    labs: float
    diagnoses: float
    medications: float
    bad: float


SAMPLE_RATES = Rates(labs=24, diagnoses=4, medications=4, bad=0.0)
BENCH_RATES = Rates(labs=100, diagnoses=10, medications=10, bad=0.001)
# Benchmark drop shapes: rows per patient (issue 20 measures both at about 12M rows:
# 100,000 standard patients, or about 500,000 sparse ones).
SHAPES: dict[str, Rates] = {
    "standard": BENCH_RATES,
    "sparse": Rates(labs=18, diagnoses=3, medications=3, bad=0.001),
}
DELTA_KINDS = ("diagnoses", "labs", "medications")


def generate(
    out_dir: Path,
    patients: int = 300,
    seed: int = 7,
    as_of: date = AS_OF,
    *,
    chunk_patients: int | None = None,
    site: str | None = None,
    shape: str = "standard",
    delta_share: float | None = None,
) -> dict[str, int]:
    """Write a drop into `out_dir` and return the number of data rows per file name.

    Up to `SAMPLE_MAX_PATIENTS` patients: the curated sample (patients.csv,
    diagnoses.csv, labs-2026-11-a.csv, labs-2026-11-b.csv.gz, medications.parquet,
    expected/statuses.csv, README.md). Above: a benchmark drop of the given `shape`
    (`SHAPES`) in chunks of `chunk_patients` patients (default: an eighth of the
    patients, between 1,000 and 25,000). With `delta_share` (0 < share <= 1): only the
    new rows of a night for the benchmark drop of these arguments (`_write_delta`). The
    same arguments always give byte-identical files. Raises ValueError on bad arguments
    or if `out_dir` holds drop files this run would not overwrite. `site` names the
    hospital of a network drop (patient ids `site-P00001`, site_id `site`).
    """
    if patients < 1:
        raise ValueError(f"patients must be at least 1, got {patients}")
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if delta_share is not None and not 0 < delta_share <= 1:
        raise ValueError(f"delta_share must be above 0 and at most 1, got {delta_share}")
    if delta_share is not None and patients <= SAMPLE_MAX_PATIENTS:
        raise ValueError(f"a delta is written for benchmark drops only (patients > {SAMPLE_MAX_PATIENTS:,})")
    out_dir.mkdir(parents=True, exist_ok=True)
    if patients <= SAMPLE_MAX_PATIENTS:
        return _write_sample(out_dir, patients, seed, as_of, site)
    if delta_share is not None:
        return _write_delta(out_dir, patients, seed, as_of, shape, delta_share, site)
    if chunk_patients is not None and chunk_patients < 1:
        raise ValueError(f"chunk_patients must be at least 1, got {chunk_patients}")
    chunk = chunk_patients or min(DEFAULT_CHUNK, max(1_000, math.ceil(patients / 8)))
    return _write_chunked(out_dir, patients, seed, as_of, chunk, site, shape)


# ---------------------------------------------------------------- random patients


def random_drop(
    rng: np.random.Generator,
    first: int,
    count: int,
    width: int,
    as_of: date,
    rates: Rates,
) -> dict[str, pa.Table]:
    """Random patients `first` .. `first + count - 1` and their rows, one table per kind."""
    number = np.arange(first, first + count).astype(str)
    ids = pa.array(np.char.add("P", np.char.zfill(number, width)))
    profile = rng.choice(len(PROFILES), size=count, p=[p.share for p in PROFILES])
    return {
        "patients": _patients(rng, ids, profile, as_of, rates.bad),
        "diagnoses": _diagnoses(rng, ids, profile, as_of, rates),
        "labs": _labs(rng, ids, as_of, rates),
        "medications": _medications(rng, ids, profile, as_of, rates),
    }


def _dates(as_of: date, days_before: np.ndarray) -> pa.Array:
    return pa.array(np.datetime64(as_of, "D") - days_before.astype("timedelta64[D]"))


SUFFIXES = ("", " 08:15:00", "T08:15", " 14:02:11", "T23:40:00")  # timestamps for dates
SUFFIX_P = (0.96, 0.01, 0.01, 0.01, 0.01)
SPAN = (-10, 3653)  # random dates fall between 10 days after and 10 years before as-of


@functools.cache
def _date_texts(as_of: date) -> pa.Array:
    """Every date of the span in every spelling, so that a column is one take."""
    days = pc.cast(_dates(as_of, np.arange(SPAN[0], SPAN[1] + 1)), pa.string()).to_pylist()
    return pa.array([day + suffix for day in days for suffix in SUFFIXES])


def _date_text(rng: np.random.Generator, as_of: date, days_before: np.ndarray) -> pa.Array:
    """ISO dates, about 4 % written as timestamps (`2026-10-01 08:15:00`, `...T08:15`)."""
    which = rng.choice(len(SUFFIXES), size=days_before.size, p=SUFFIX_P)
    return _date_texts(as_of).take((days_before - SPAN[0]) * len(SUFFIXES) + which)


def _recent_days(rng: np.random.Generator, n: int, future_share: float) -> np.ndarray:
    """Days before as-of: half in the last 120 days, half over 5 years, a few in the future."""
    days = np.where(rng.random(n) < 0.5, rng.integers(0, 121, n), rng.integers(0, 1827, n))
    return np.where(rng.random(n) < future_share, -rng.integers(1, 11, n), days)


def _spoil(column: pa.Array, mask: np.ndarray, value: str | None) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(value, pa.string()), column)


def _patients(
    rng: np.random.Generator, ids: pa.Array, profile: np.ndarray, as_of: date, bad: float
) -> pa.Table:
    n = len(ids)
    female = rng.random(n) < np.array([p.female for p in PROFILES])[profile]
    spelling = rng.choice(4, size=n, p=[0.9, 0.05, 0.03, 0.02])
    sexes = pa.array(["F", "M", "female", "male", "f", "m", "U", "U"])
    sex = sexes.take(spelling * 2 + (~female).astype(int))
    born = _dates(as_of, rng.integers(16 * 365, 90 * 365, n))
    year_only = rng.random(n) < 0.05
    birth_date = _spoil(pc.cast(born, pa.string()), year_only, None)
    birth_year = pc.if_else(
        pa.array(year_only), pc.cast(pc.year(born), pa.string()), pa.scalar(None, pa.string())
    )
    dead = rng.random(n) < 0.01
    death = pc.cast(_dates(as_of, rng.integers(0, 731, n)), pa.string())
    sites = pa.array(list(sample_cases.SITES))
    spoilt = rng.random(n) < bad
    return pa.table(
        {
            "patient_id": ids,
            "sex": _spoil(sex, spoilt & (rng.random(n) < 0.5), "X"),
            "birth_date": _spoil(birth_date, spoilt & ~year_only, "1980-02-30"),
            "birth_year": birth_year,
            "site_id": sites.take(rng.choice(len(sites), size=n, p=[0.45, 0.35, 0.2])),
            "death_date": _spoil(death, ~dead, None),
        }
    )


def _diagnoses(
    rng: np.random.Generator, ids: pa.Array, profile: np.ndarray, as_of: date, rates: Rates
) -> pa.Table:
    """Each autoimmune patient's own code on about half the rows, common codes elsewhere."""
    owner = np.repeat(np.arange(len(ids)), rng.poisson(rates.diagnoses, len(ids)))
    n = owner.size
    main = np.zeros(len(ids), dtype=np.int64)
    for index, prof in enumerate(PROFILES):
        mine = np.flatnonzero(profile == index)
        if prof.main and mine.size:
            main[mine] = rng.choice(prof.codes, size=mine.size, p=prof.code_p)
    background = PROFILES[0]
    code = rng.choice(background.extra_codes, size=n, p=background.extra_p)
    draw = rng.random(n)
    row_profile = profile[owner]
    for index, prof in enumerate(PROFILES[1:], start=1):
        mine = row_profile == index
        code = np.where(mine & (draw < 0.55), main[owner], code)
        if prof.extra:  # e.g. interstitial lung disease for systemic sclerosis
            extra = rng.choice(prof.extra_codes, size=n, p=prof.extra_p)
            code = np.where(mine & (draw >= 0.55) & (draw < 0.75), extra, code)
    spelling = rng.choice(len(DX_SPELLING_P), size=n, p=DX_SPELLING_P)
    spoilt = rng.random(n) < rates.bad
    how = rng.integers(0, 3, n)
    sources = pa.array(["encounter", "problem_list", "billing", None], pa.string())
    dated = _date_text(rng, as_of, rng.integers(0, SPAN[1], n))
    return pa.table(
        {
            "patient_id": _spoil(ids.take(owner), spoilt & (how == 0), None),
            "code_system": _spoil(DX_SYSTEMS.take(code), spoilt & (how == 1), "ICD11"),
            "code": DX_FORMATTED.take(code * len(DX_SPELLING_P) + spelling),
            "diagnosis_date": _spoil(dated, spoilt & (how == 2), "2025-02-30"),
            "source": sources.take(rng.choice(4, size=n, p=[0.5, 0.25, 0.2, 0.05])),
        }
    )


def _labs(rng: np.random.Generator, ids: pa.Array, as_of: date, rates: Rates) -> pa.Table:
    """Numbers drawn per test and unit, text results (`Negative`, `<20`) where reported."""
    owner = np.repeat(np.arange(len(ids)), rng.poisson(rates.labs, len(ids)))
    n = owner.size
    test = rng.choice(len(LABS), size=n, p=LAB_P)
    value = np.full(n, np.nan)
    text = np.full(n, -1, dtype=np.int64)
    for index, spec in enumerate(LABS):
        rows = np.flatnonzero(test == index)
        if spec.texts:
            as_text = rng.random(rows.size) < spec.text_share
            text[rows[as_text]] = rng.choice(spec.text_ids, size=as_text.sum(), p=spec.text_p)
            rows = rows[~as_text]
        if spec.sd:
            draw = rng.normal(spec.mean, spec.sd, rows.size)
            draw = np.exp(draw) if spec.log else draw
            value[rows] = np.round(np.clip(draw, spec.low, spec.high), spec.decimals)
    spoilt = rng.random(n) < rates.bad
    how = rng.integers(0, 4, n)
    value[spoilt & (how == 0)] = np.nan  # neither a number nor a text
    text[spoilt & (how == 0)] = -1
    value_num = pc.cast(pa.array(value, from_pandas=True), pa.string())
    comma = pa.array(["5,2", "12,4", "0,8", "138,0"]).take(rng.integers(0, 4, n))
    dated = _date_text(rng, as_of, _recent_days(rng, n, 0.002))
    unit = pa.array([t.unit for t in LABS], pa.string()).take(test)
    return pa.table(
        {
            "patient_id": _spoil(ids.take(owner), spoilt & (how == 1), None),
            "code_system": pa.array([t.system for t in LABS]).take(test),
            "code": pa.array([t.code for t in LABS]).take(test),
            "result_date": _spoil(dated, spoilt & (how == 2), "2025-02-30"),
            "value_num": pc.if_else(pa.array(spoilt & (how == 3)), comma, value_num),
            "value_text": LAB_TEXTS.take(pa.array(text, mask=text < 0)),
            "unit": _spoil(unit, rng.random(n) < 0.003, None),  # unit left out now and then
            "ref_low": pa.array([t.ref_low for t in LABS], pa.string()).take(test),
            "ref_high": pa.array([t.ref_high for t in LABS], pa.string()).take(test),
        }
    )


def _medications(
    rng: np.random.Generator, ids: pa.Array, profile: np.ndarray, as_of: date, rates: Rates
) -> pa.Table:
    """Orders with refills (back to back, small gaps, overlaps), courses and vaccines."""
    owner = np.repeat(np.arange(len(ids)), rng.poisson(rates.medications, len(ids)))
    n = owner.size
    autoimmune = np.array([p.autoimmune for p in PROFILES])[profile[owner]]
    weights = np.array([(d.weight_ai, d.weight_other) for d in MEDS])
    drug = np.where(
        autoimmune,
        rng.choice(len(MEDS), size=n, p=weights[:, 0] / weights[:, 0].sum()),
        rng.choice(len(MEDS), size=n, p=weights[:, 1] / weights[:, 1].sum()),
    )
    kinds = np.array([d.kind for d in MEDS])
    open_order = (kinds[drug] != "once") & (rng.random(n) < 0.2)
    # A refill repeats its patient's previous closed order of a chronic drug, starting the
    # next day (back to back), after a small gap, or a week before that order ends.
    flag = rng.random(n) < 0.3
    refill = np.zeros(n, dtype=bool)
    refill[1:] = (
        flag[1:] & ~flag[:-1] & (owner[1:] == owner[:-1]) & (kinds[drug[:-1]] == "chronic") & ~open_order[:-1]
    )
    drug[1:] = np.where(refill[1:], drug[:-1], drug[1:])
    kind = kinds[drug]
    length = np.where(
        kind == "chronic",
        rng.choice([30, 60, 90, 90, 180, 365], size=n),
        rng.choice([5, 7, 14, 28, 56, 90], size=n),
    )
    start = _recent_days(rng, n, 0.003)
    last = start - length + 1  # days before as-of of the order's last day
    gap = rng.choice([1, 1, 1, 2, 3, 5, 8, -7], size=n)
    start[1:] = np.where(refill[1:], last[:-1] - gap[1:], start[1:])
    last = start - length + 1
    no_end = open_order | (kind == "once")
    atc = (rng.random(n) < 0.2) & np.array([d.atc is not None for d in MEDS])[drug]
    coded = drug + atc * len(MEDS)
    dose = DOSE_FIRST[drug] + np.floor(rng.random(n) * np.diff(DOSE_FIRST)[drug]).astype(int)
    freq = FREQ_FIRST[drug] + np.floor(rng.random(n) * np.diff(FREQ_FIRST)[drug]).astype(int)
    doses = pa.table(
        {
            "value": pa.array([d[0] for d in DOSES], pa.string()),
            "unit": pa.array([d[1] for d in DOSES], pa.string()),
            "name": pa.array([d[2] for d in DOSES], pa.string()),
        }
    ).take(dose)
    spoilt = rng.random(n) < rates.bad
    return pa.table(
        {
            "patient_id": _spoil(ids.take(owner), spoilt, None),
            "code_system": MED_SYSTEMS.take(coded),
            "code": MED_CODES.take(coded),
            "drug_name": _spoil(doses["name"].combine_chunks(), rng.random(n) < 0.05, None),
            "start_date": _dates(as_of, start),
            "end_date": pc.if_else(pa.array(no_end), pa.scalar(None, pa.date32()), _dates(as_of, last)),
            "dose_value": doses["value"].combine_chunks(),
            "dose_unit": doses["unit"].combine_chunks(),
            "frequency": FREQS.take(freq),
            "route": _spoil(pa.array([d.route for d in MEDS]).take(drug), rng.random(n) < 0.03, None),
        }
    )


# ---------------------------------------------------------------- writing


def _relabel(table: pa.Table, site: str | None) -> pa.Table:
    """One hospital of a network: patient ids start with `site-`, every site_id is `site`.

    The prefix goes after any leading spaces of an id, so that an id the sample pads on
    purpose still trims to the same patient.
    """
    if site is None:
        return table
    names = table.column_names
    if "patient_id" in names:
        ids = pc.replace_substring_regex(table["patient_id"], pattern=r"^(\s*)", replacement=rf"\1{site}-")
        table = table.set_column(names.index("patient_id"), "patient_id", ids)
    if "site_id" in names:
        sites = pa.array([site] * table.num_rows, pa.string())
        table = table.set_column(names.index("site_id"), "site_id", sites)
    return table


def _write_csv(table: pa.Table, path: Path, level: int) -> None:
    """CSV with a header, quoted only where needed; `.gz` with a fixed header (mtime 0)."""
    packed = path.name.endswith(".gz")
    plain = path.with_name(f".{path.name.removesuffix('.gz')}.tmp") if packed else path
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")  # workers must not draw on the terminal
        con.from_arrow(table).write_csv(str(plain), header=True, compression="none")
    finally:
        con.close()
    if packed:
        with (
            plain.open("rb") as src,
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=level) as gz,
        ):
            shutil.copyfileobj(src, gz, 1 << 20)
        plain.unlink()


def _write(table: pa.Table, path: Path, level: int = 6) -> int:
    """Write one drop file by its suffix (gzip at `level`); return its row count."""
    if path.name.endswith(".parquet"):
        pq.write_table(table, path, compression="zstd")
    else:
        _write_csv(table, path, level)
    return table.num_rows


def _check_target(out_dir: Path, names: Sequence[str]) -> None:
    """Refuse to leave old drop files beside the new ones (they would join the drop)."""
    stale = sorted(
        p.name
        for p in out_dir.iterdir()
        if p.is_file() and p.name.startswith(tuple(COLUMNS)) and p.name not in names
    )
    if stale:
        raise ValueError(
            f"{out_dir} already holds drop files this run would not replace: "
            f"{', '.join(stale[:5])}; remove them or choose an empty folder"
        )


def _schema(kind: str) -> pa.Schema:
    return pa.schema([(c, pa.date32() if c in DATE_COLUMNS else pa.string()) for c in COLUMNS[kind]])


@dataclass(frozen=True)
class Chunk:
    """One chunk of a benchmark drop: patients `first` .. `first + count - 1`."""

    out_dir: Path
    number: int
    first: int
    count: int
    width: int
    seed: int
    as_of: date
    site: str | None = None
    shape: str = "standard"

    @property
    def names(self) -> dict[str, str]:
        return {kind: f"{kind}-part-{self.number:04d}{_suffix(kind)}" for kind in COLUMNS}


def _write_chunked(
    out_dir: Path,
    patients: int,
    seed: int,
    as_of: date,
    chunk: int,
    site: str | None = None,
    shape: str = "standard",
) -> dict[str, int]:
    width = max(5, len(str(patients)))
    chunks = [
        Chunk(out_dir, k, first, min(chunk, patients - first + 1), width, seed, as_of, site, shape)
        for k, first in enumerate(range(1, patients + 1, chunk), start=1)
    ]
    _check_target(out_dir, [name for c in chunks for name in c.names.values()])
    counts: dict[str, int] = {}
    # Chunks are independent (each is seeded by its number), so they run in parallel
    # processes; the files do not depend on how many there are.
    workers = min(len(chunks), os.cpu_count() or 1, 4)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for result in pool.map(_write_chunk, chunks):
            counts.update(result)
            log.info("wrote %s", ", ".join(result))
    readme = _bench_readme(patients, seed, as_of, chunk, counts, shape)
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    _write_as_of(out_dir, as_of)
    return counts


def _write_chunk(chunk: Chunk) -> dict[str, int]:
    rng = np.random.default_rng([chunk.seed, chunk.number])
    tables = random_drop(rng, chunk.first, chunk.count, chunk.width, chunk.as_of, SHAPES[chunk.shape])
    # gzip level 1: the benchmark wants speed more than small files
    return {
        name: _write(_relabel(tables[kind], chunk.site), chunk.out_dir / name, 1)
        for kind, name in chunk.names.items()
    }


def _write_as_of(out_dir: Path, as_of: date) -> None:
    """Record the date the drop is anchored on beside its files: a scan given no --as-of
    screens a generated drop on it (pipelines/settings.py reads AS_OF_FILE), so its
    results do not slide out of their windows as the days pass."""
    (out_dir / AS_OF_FILE).write_text(f"{as_of.isoformat()}\n", encoding="utf-8")


def delta_patients(patients: int, share: float) -> tuple[int, int]:
    """The block of existing patients a delta of `share` of the drop's rows gives new rows
    to: (first, count). A block in the middle of the drop, so it is no file's first rows."""
    count = max(1, round(patients * share))
    return (patients - count) // 2 + 1, count


def _write_delta(
    out_dir: Path, patients: int, seed: int, as_of: date, shape: str, share: float, site: str | None = None
) -> dict[str, int]:
    """A night's new rows for the drop of `patients` patients: diagnoses, labs and
    medications of the patients `delta_patients(patients, share)`, drawn at that drop's
    rates (so about `share` of its rows), from a seed no chunk of the drop uses. No
    patients file: the patients exist. File names (`labs-delta-0001.csv.gz`, ...) differ
    from the drop's, so both can be scanned together to check a delta against a full scan."""
    first, count = delta_patients(patients, share)
    names = {kind: f"{kind}-delta-0001{_suffix(kind)}" for kind in DELTA_KINDS}
    _check_target(out_dir, list(names.values()))
    rng = np.random.default_rng([seed, 0, 1])
    tables = random_drop(rng, first, count, max(5, len(str(patients))), as_of, SHAPES[shape])
    counts = {name: _write(_relabel(tables[kind], site), out_dir / name, 1) for kind, name in names.items()}
    readme = "\n".join(
        [
            "# Benchmark delta",
            "",
            f"New rows of a night for the drop `python -m sample_drops.generator --patients {patients} "
            f"--seed {seed} --as-of {as_of.isoformat()} --shape {shape}`: diagnoses, labs and",
            f"medications of its patients {first:,} to {first + count - 1:,} ({share:.2%} of its patients),",
            "written by the same command with `--delta-share`.",
            "",
            *_table(("file", "rows"), [(f"`{k}`", f"{v:,}") for k, v in counts.items()]),
            "",
        ]
    )
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    _write_as_of(out_dir, as_of)
    return counts


def _suffix(kind: str) -> str:
    return ".parquet" if kind == "medications" else ".csv.gz"


# ---------------------------------------------------------------- the curated sample

SAMPLE_FILES = {
    "patients": ("patients.csv",),
    "diagnoses": ("diagnoses.csv",),
    "labs": ("labs-2026-11-a.csv", "labs-2026-11-b.csv.gz"),
    "medications": ("medications.parquet",),
}
SORT_KEYS = {
    "patients": ("patient_id",),
    "diagnoses": ("patient_id", "diagnosis_date", "code"),
    "labs": ("patient_id", "result_date", "code"),
    "medications": ("patient_id", "start_date", "code"),
}


@dataclass(frozen=True)
class Quarantined:
    """A row of the sample that the pipeline must quarantine, where it is and why."""

    file: str
    line: int
    patient_id: str
    reason: str


def _write_sample(
    out_dir: Path, patients: int, seed: int, as_of: date, site: str | None = None
) -> dict[str, int]:
    curated = sample_cases.build(as_of)
    first = len(curated.patients) + 1
    if patients < first - 1:
        raise ValueError(f"the curated sample needs at least {first - 1} patients, got {patients}")
    _check_target(out_dir, [n for names in SAMPLE_FILES.values() for n in names])
    rng = np.random.default_rng([seed, 0])
    filler = random_drop(rng, first, patients - first + 1, 5, as_of, SAMPLE_RATES)
    counts: dict[str, int] = {}
    quarantined: list[Quarantined] = []
    for kind, names in SAMPLE_FILES.items():
        schema = _schema(kind).append(pa.field(NOTE, pa.string()))
        mine = pa.Table.from_pylist(getattr(curated, kind), schema=schema)
        theirs = filler[kind].append_column(NOTE, pa.nulls(filler[kind].num_rows, pa.string()))
        table = pa.concat_tables([mine, theirs.cast(schema)]).sort_by(
            [(key, "ascending") for key in SORT_KEYS[kind]]
        )
        table = _relabel(table, site)
        for name, part in zip(names, _split(kind, table, as_of), strict=True):
            for line, (pid, note) in enumerate(
                zip(part["patient_id"].to_pylist(), part[NOTE].to_pylist(), strict=True), start=2
            ):
                if note:
                    quarantined.append(Quarantined(name, line, pid or "(missing)", note))
            counts[name] = _write(part.drop_columns([NOTE]), out_dir / name)
    # Outside the drop proper: ingest reads only the files directly in the folder.
    (out_dir / "expected").mkdir(exist_ok=True)
    counts[EXPECTED] = _write(_relabel(pa.Table.from_pylist(curated.expected), site), out_dir / EXPECTED)
    readme = _sample_readme(curated, counts, quarantined, patients, seed, as_of)
    if site is not None:
        readme += (
            f"\nThis drop is the hospital `{site}` of a network (`--site {site}`): every patient id "
            f"above starts with `{site}-` in the files, and every site_id is `{site}`.\n"
        )
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    _write_as_of(out_dir, as_of)
    return counts


def _split(kind: str, table: pa.Table, as_of: date) -> list[pa.Table]:
    """Labs go to two files by result date (older ones to -a); other kinds to one file."""
    if kind != "labs":
        return [table]
    cutoff = (as_of - timedelta(days=LABS_SPLIT_DAYS)).isoformat()
    older = pc.fill_null(pc.less(pc.utf8_slice_codeunits(table["result_date"], 0, 10), cutoff), True)
    return [table.filter(older), table.filter(pc.invert(older))]


# ---------------------------------------------------------------- READMEs


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


FORMATS = {".csv": "CSV", ".gz": "CSV, gzip", ".parquet": "Parquet (dates typed DATE)"}


def _sample_readme(
    curated: sample_cases.CuratedDrop,
    counts: dict[str, int],
    quarantined: list[Quarantined],
    patients: int,
    seed: int,
    as_of: date,
) -> str:
    """The sample's README, written from the same case list as the data."""
    ids = [pid for pid, _ in curated.cases]
    files = [
        (f"`{name}`", FORMATS[Path(name).suffix], name.split("-")[0].split(".")[0], rows)
        for name, rows in counts.items()
        if name != EXPECTED
    ]
    sites = {row["patient_id"]: row["site_id"] for row in curated.patients}
    case_rows = []
    for pid, case in curated.cases:
        outcome = [f"{crit} **{status}**" for crit, (status, _) in case.expect.items()]
        outcome += [case.eligibility] if case.eligibility else []
        row = (
            pid,
            sites[pid],
            curated.trial_of[pid],
            case.tests,
            case.what,
            ", ".join(outcome) or "left open",
        )
        case_rows.append(row)
    firsts = {}
    for pid, _ in curated.cases:
        firsts.setdefault(curated.trial_of[pid], pid)
    bad = [(f"`{q.file}`", q.line, q.patient_id, q.reason) for q in quarantined]
    lines = [
        "# Sample drop",
        "",
        "A small drop in the extract contract (version 1), generated, never edited by hand:",
        "",
        "```",
        f"python -m sample_drops.generator --out data/sample --patients {patients} "
        f"--seed {seed} --as-of {as_of.isoformat()}",
        "```",
        "",
        "The generator is deterministic: the same arguments give byte-identical files (gzip",
        "header with mtime 0, Parquet without timestamps), so `sha256sum data/sample/*` is",
        "stable. To change the sample, edit `sample_drops/cases.py` (curated patients and",
        "the code catalog of the random ones) and regenerate.",
        "",
        "## Files",
        "",
        *_table(("file", "format", "kind", "rows"), files),
        "",
        f"`{EXPECTED}` ({counts[EXPECTED]} rows) lies in a sub-folder, which ingest does not",
        "read; this README is not an extract file (ingest reports it as ignored).",
        f"`{AS_OF_FILE}` records the date the sample is anchored on ({as_of.isoformat()}): a scan",
        "given no `--as-of` screens the sample on it (a real drop has no such file and screens",
        "as of today), so the figures below hold whatever the day. Not an extract file either.",
        "",
        "## What is in it",
        "",
        f"- {patients} patients at {', '.join(sample_cases.SITES)}: the curated patients "
        f"{ids[0]} to {ids[-1]} below, then random patients drawn with the seed.",
        "- Diagnoses of every disease of the trial in ICD10CM and SNOMEDCT (SLE, Sjogren,",
        "  systemic sclerosis with and without ILD, dermatomyositis, ANCA vasculitis), other",
        "  autoimmune diseases that do not qualify (L93.0, M33.20, M32.0, 31384009), I10 and",
        "  the exclusion codes. Codes are written with and without the dot, in lower case or",
        "  padded with spaces (`M32.14`, `m3214`, ` M35.00 `); some dates are timestamps.",
        "- Labs in mixed units: Hb in g/L, g/dL, g/dl; platelets in 10*3/uL, 10^9/L, K/uL;",
        "  eGFR (four LOINC codes, `mL/min/1.73m2` and `mL/min/{1.73_m2}`); AST and ALT with",
        "  and without ref_high; bilirubin in mg/dL and umol/L; LVEF; DLCO and FVC as %",
        "  predicted and, which must not count as %, absolute DLCO (19911-7) and FVC volume",
        "  (19870-5); ECOG; SCORE rows (SLEDAI2K, ESSDAI, MRSS, BVAS); qualitative viral,",
        "  syphilis, pregnancy and ANCA tests (`Positive`, `Non-reactive`, `Not detected`,",
        "  `Indeterminate`, ...) and comparator results (`<20`, `>90`). A few units are",
        "  missing; `gr/dl` is a spelling no converter should know.",
        "- Medications: RXNORM ingredients and ATC codes of immunosuppressants and",
        "  glucocorticoids, doses in mg or g, the contract's frequencies, open orders, refills",
        "  back to back, after small gaps and overlapping; CVX vaccines, live (03, 21, 121, 19)",
        "  and not live (141, 187).",
        "- For lupus_nephritis: urine protein/creatinine ratios in g/g, mg/g, mg/mg and mg/mmol",
        "  (2890-2, 13801-6, 34366-5), anti-dsDNA with its own ULN, C3 and C4 with their own",
        "  lower limits (g/L, mg/dL), body weight in kg and [lb_av]; IV cyclophosphamide pulses,",
        "  B-cell therapies by code or by name only (obinutuzumab, belimumab), mg/kg doses.",
        "",
        "## Curated patients",
        "",
        f"Days are counted back from the as-of date {as_of.isoformat()}; windows are inclusive",
        "at the far edge (90 days: `result_date >= as_of - 90 days`).",
        *[f"{firsts[t.trial_id]} is the baseline of {t.trial_id}: {t.summary}" for t in sample_cases.TRIALS],
        "Each meets every computable criterion of its trial. Every other curated patient is",
        "the baseline of its trial with one thing changed, so that this change alone decides",
        "the criterion it tests; expectations are written for that trial only.",
        "",
        *_table(("patient", "site", "trial", "tests", "case", "expected"), case_rows),
        "",
        f"## {EXPECTED}",
        "",
        "One row per curated patient and computable criterion of the patient's trial:",
        "`trial_id, patient_id, criterion_id, expected_status, why`, with `expected_status` one of",
        "`met`, `not_met`, `unknown` in the design's sense (for an exclusion `met` means",
        "excluded; a missing measurement is `unknown`, a missing event `not_met`). Criteria",
        "the design leaves open for a case are left out (disease activity of a patient",
        "without a trial disease, drug-induced lupus, pregnancy for a man), as are the",
        "manual criteria. Eligibility is not in the file: the deceased patients meet every",
        "criterion like the baseline, yet the pipeline must call them ineligible when",
        "`death_date` is on or before as-of.",
        "",
        "## Rows that must be quarantined",
        "",
        "Lines count the header as line 1.",
        "",
        *_table(("file", "line", "patient", "reason"), bad),
        "",
        "## Benchmark drops",
        "",
        "More patients than "
        f"{SAMPLE_MAX_PATIENTS:,} give a benchmark drop of random patients only, written in",
        "chunks (`labs-part-0001.csv.gz`, ..., `medications-part-0001.parquet`) with about",
        "100 labs, 10 diagnoses and 10 medication rows per patient and about 0.1 % bad rows;",
        "`--shape sparse` gives about 18 labs, 3 diagnoses and 3 medication rows per patient",
        "(many patients, few rows each), and `--delta-share 0.01` only a night's new rows for",
        "that drop, about 1 % of its rows, in `<kind>-delta-0001...` files:",
        "",
        "```",
        "python -m sample_drops.generator --out /tmp/bench --patients 100000",
        "python -m sample_drops.generator --out /tmp/sparse --patients 500000 --shape sparse",
        "python -m sample_drops.generator --out /tmp/delta --patients 100000 --delta-share 0.01",
        "```",
        "",
    ]
    return "\n".join(lines)


def _bench_readme(
    patients: int, seed: int, as_of: date, chunk: int, counts: dict[str, int], shape: str = "standard"
) -> str:
    rows = {kind: sum(v for k, v in counts.items() if k.startswith(kind)) for kind in COLUMNS}
    rates = SHAPES[shape]
    return "\n".join(
        [
            "# Benchmark drop",
            "",
            f"Random patients only, generated by `python -m sample_drops.generator --patients "
            f"{patients} --seed {seed} --as-of {as_of.isoformat()} --shape {shape}` in chunks of {chunk:,}",
            f"patients ({len(counts) // len(COLUMNS)} files per kind), about {rates.labs:g} labs, "
            f"{rates.diagnoses:g} diagnoses and",
            f"{rates.medications:g} medication rows per patient. About 0.1 % of the rows",
            "break the contract on purpose (no value, `2025-02-30`, `5,2`, no patient_id,",
            "sex `X`, code_system `ICD11`).",
            "",
            *_table(("kind", "rows"), [(k, f"{v:,}") for k, v in rows.items()]),
            "",
        ]
    )


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a sample or benchmark drop and log what was written."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_drops.generator",
        description="Write the curated sample drop, or a benchmark drop for large --patients.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the drop to")
    parser.add_argument("--patients", type=int, default=300, help="number of patients")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random patients")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=AS_OF, help="date the data is relative to"
    )
    parser.add_argument(
        "--chunk-patients", type=int, default=None, help="patients per file (benchmark drops)"
    )
    parser.add_argument(
        "--site", default=None, help="one hospital of a network: ids start with SITE-, site_id is SITE"
    )
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="standard",
        help="rows per patient of a benchmark drop: standard (about 100 labs, 10 diagnoses, 10 "
        "medications) or sparse (about 18, 3, 3)",
    )
    parser.add_argument(
        "--delta-share",
        type=float,
        default=None,
        help="write only a night's new rows for the benchmark drop of these arguments, about this "
        "share of its rows (0.01: 1 %%)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    try:
        counts = generate(
            args.out,
            args.patients,
            args.seed,
            args.as_of,
            chunk_patients=args.chunk_patients,
            site=args.site,
            shape=args.shape,
            delta_share=args.delta_share,
        )
    except ValueError as err:
        parser.exit(2, f"sample_data: {err}\n")
    log.info(
        "%d files, %d rows written to %s in %.1f s",
        len(counts),
        sum(counts.values()),
        args.out,
        time.perf_counter() - started,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
