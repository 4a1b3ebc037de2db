"""The sample generator: reproducible sample drop, chunked benchmark drops."""

from __future__ import annotations

import csv
import gzip
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sample_drops import cases as sample_cases
from sample_drops.generator import COLUMNS, generate

AS_OF = date(2026, 11, 26)
SAMPLE_FILES = {
    "patients.csv",
    "diagnoses.csv",
    "labs-2026-11-a.csv",
    "labs-2026-11-b.csv.gz",
    "medications.parquet",
    "expected/statuses.csv",
    "README.md",
    "sample-as-of.txt",
}


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _count(files: str | list[str], where: str = "true") -> int:
    """Rows of CSV files matching `where`, read as RFC 4180 text without sniffing."""
    with duckdb.connect() as con:
        row = con.execute(
            "select count(*) filter (where " + where + ") from read_csv(?, all_varchar = true, "
            "header = true, delim = ',', quote = '\"', escape = '\"')",
            [files],
        ).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out)
    return out


def test_sample_is_byte_for_byte_reproducible(sample: Path, tmp_path: Path) -> None:
    counts = generate(tmp_path)

    assert set(_hashes(tmp_path)) == SAMPLE_FILES
    assert _hashes(tmp_path) == _hashes(sample)
    assert counts["patients.csv"] == 300


def test_sample_files_carry_exactly_the_contract_columns(sample: Path) -> None:
    for name in SAMPLE_FILES - {
        "expected/statuses.csv",
        "README.md",
        "sample-as-of.txt",
        "medications.parquet",
    }:
        kind = name.split("-")[0].split(".")[0]
        assert _header(sample / name) == list(COLUMNS[kind]), name
    meds = pq.read_schema(sample / "medications.parquet")
    assert meds.names == list(COLUMNS["medications"])
    assert {meds.field(c).type for c in ("start_date", "end_date")} == {pa.date32()}
    assert {meds.field(c).type for c in meds.names} - {pa.date32()} == {pa.string()}


def test_expected_names_each_curated_patient_and_only_valid_statuses(sample: Path) -> None:
    with (sample / "expected" / "statuses.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert {r["expected_status"] for r in rows} == {"met", "not_met", "unknown"}
    assert {r["trial_id"] for r in rows} == {t.trial_id for t in sample_cases.TRIALS}
    for trial in sample_cases.TRIALS:
        criteria = {r["criterion_id"] for r in rows if r["trial_id"] == trial.trial_id}
        assert criteria == set(trial.computable), trial.trial_id
        assert set(trial.computable) <= {c.tests for c in trial.cases}, trial.trial_id


def test_sample_holds_the_rows_that_must_be_quarantined(sample: Path) -> None:
    labs = [str(sample / "labs-2026-11-a.csv"), str(sample / "labs-2026-11-b.csv.gz")]

    assert _count(labs) > 1000
    assert _count(labs, "result_date = '2025-02-30'") == 1
    assert _count(labs, "value_num = '5,2'") == 1
    assert _count(labs, "value_num is null and value_text is null") == 2
    assert _count(str(sample / "patients.csv"), "sex = 'X'") == 1
    assert _count(str(sample / "diagnoses.csv"), "patient_id is null or code_system = 'ICD11'") == 2
    readme = (sample / "README.md").read_text(encoding="utf-8")
    for patient_id, _ in sample_cases.build(AS_OF).cases:
        assert f"| {patient_id} |" in readme


def test_curated_sample_needs_room_for_every_curated_patient(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="curated sample needs at least"):
        generate(tmp_path, patients=10)


def test_generate_refuses_to_leave_old_drop_files_beside_new_ones(tmp_path: Path) -> None:
    (tmp_path / "labs-old.csv").write_text("patient_id\n")

    with pytest.raises(ValueError, match=r"labs-old\.csv"):
        generate(tmp_path)


def test_large_drop_streams_in_chunks_with_about_the_promised_rows(tmp_path: Path) -> None:
    counts = generate(tmp_path, patients=2000)  # chunks of 1,000 patients

    parts = {name for name in counts if name.startswith("labs-part-")}
    assert parts == {"labs-part-0001.csv.gz", "labs-part-0002.csv.gz"}
    assert {p.name for p in tmp_path.iterdir()} == set(counts) | {"README.md", "sample-as-of.txt"}

    def total(kind: str) -> int:
        return sum(rows for name, rows in counts.items() if name.startswith(kind))

    assert total("patients") == 2000
    assert 0.95 * 200_000 < total("labs") < 1.05 * 200_000
    assert 0.9 * 20_000 < total("diagnoses") < 1.1 * 20_000
    assert 0.9 * 20_000 < total("medications") < 1.1 * 20_000
    files = str(tmp_path / "labs-part-*.csv.gz")
    assert _count(files) == total("labs")
    assert 0 < _count(files, "patient_id is null") < total("labs") * 0.001  # ~1/4 of bad rows
    assert _count(files, "unit = 'g/dL'") > 0
    assert _count(files, "unit = '10^9/L'") > 0
    assert _count(files, "value_text = 'Not detected'") > 0


def test_large_drop_is_reproducible(tmp_path: Path) -> None:
    generate(tmp_path / "a", patients=1500, chunk_patients=1000)
    generate(tmp_path / "b", patients=1500, chunk_patients=1000)

    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")


def test_a_network_site_drop_prefixes_every_patient_id_and_names_one_site(tmp_path: Path) -> None:
    generate(tmp_path / "north", patients=180, site="north")
    generate(tmp_path / "east", patients=180, site="east")
    ids = {}
    for site in ("north", "east"):
        path = tmp_path / site / "patients.csv"
        rows = (
            duckdb.connect()
            .execute(f"select patient_id, site_id from read_csv('{path}', all_varchar=true)")
            .fetchall()
        )
        ids[site] = {pid.strip() for pid, _ in rows if pid}
        assert {s for _, s in rows} == {site}
        assert all(pid.startswith(f"{site}-") for pid in ids[site])
    assert not ids["north"] & ids["east"], "two sites never share a patient"


def _rows_by_kind(counts: dict[str, int]) -> dict[str, int]:
    return {kind: sum(v for k, v in counts.items() if k.startswith(kind)) for kind in COLUMNS}


@pytest.mark.parametrize(
    ("shape", "per_patient"),
    [
        pytest.param("standard", {"labs": 100, "diagnoses": 10, "medications": 10}, id="standard"),
        pytest.param("sparse", {"labs": 18, "diagnoses": 3, "medications": 3}, id="sparse-24-rows"),
    ],
)
def test_drop_shape_sets_the_rows_per_patient(tmp_path: Path, shape: str, per_patient: dict) -> None:
    rows = _rows_by_kind(generate(tmp_path, patients=3000, shape=shape))

    assert rows["patients"] == 3000
    for kind, mean in per_patient.items():
        assert 0.9 * mean * 3000 < rows[kind] < 1.1 * mean * 3000, kind


def test_sparse_drop_is_reproducible(tmp_path: Path) -> None:
    generate(tmp_path / "a", patients=1500, chunk_patients=1000, shape="sparse")
    generate(tmp_path / "b", patients=1500, chunk_patients=1000, shape="sparse")

    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")


def test_delta_adds_about_the_share_of_rows_for_existing_patients_only(tmp_path: Path) -> None:
    drop = generate(tmp_path / "drop", patients=4000, chunk_patients=1000)
    delta = generate(tmp_path / "delta", patients=4000, delta_share=0.01)
    again = generate(tmp_path / "again", patients=4000, delta_share=0.01)

    assert sorted(delta) == [
        "diagnoses-delta-0001.csv.gz",
        "labs-delta-0001.csv.gz",
        "medications-delta-0001.parquet",
    ]
    assert _hashes(tmp_path / "delta") == _hashes(tmp_path / "again") and delta == again
    assert not set(delta) & set(drop), "delta files sit beside the drop's own"
    share = sum(delta.values()) / sum(drop.values())
    assert 0.007 < share < 0.013
    with duckdb.connect() as con:
        ids = con.execute(
            "select count(distinct patient_id), count(*) filter (where patient_id not in "
            "(select patient_id from read_csv(?, all_varchar = true))) from read_csv(?, all_varchar = true)",
            [
                str(tmp_path / "drop" / "patients-part-*.csv.gz"),
                str(tmp_path / "delta" / "labs-delta-0001.csv.gz"),
            ],
        ).fetchone()
    assert ids[0] > 30
    assert ids[1] == 0 or ids[1] < 0.005 * delta["labs-delta-0001.csv.gz"]  # only the rows spoilt on purpose


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"patients": 2000, "shape": "wide"}, "shape must be one of", id="unknown-shape"),
        pytest.param({"patients": 2000, "delta_share": 0}, "delta_share must be above 0", id="zero-share"),
        pytest.param({"patients": 300, "delta_share": 0.01}, "benchmark drops only", id="delta-of-sample"),
    ],
)
def test_generate_refuses_bad_shape_and_delta_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, **kwargs)
