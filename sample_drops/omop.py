"""Render a contract drop (the curated sample) as an OMOP CDM v5.4 drop, as a site's ETL would.

    python -m sample_drops.omop --drop data/sample --out /tmp/sample-omop

The same facts, written the OMOP way, so that a scan of both must give the same criteria
results (tests/flows/test_forms_equal.py):

- a vocabulary of its own: every code, unit, qualitative result, comparator, route and
  diagnosis source of the drop becomes a CONCEPT row with an id in the CDM's range for
  site concepts (2,000,000,000 and up), never an id of OHDSI's vocabulary, so the reader
  is seen to map through the site's CONCEPT table; SNOMED, LOINC, RxNorm and CVX concepts
  are standard (the row's *_concept_id is the concept), the others are source concepts
  only (*_concept_id 0, the unmapped case the reader must not lose);
- PERSON (sex as the CDM's gender concepts 8507 / 8532, else gender_source_value),
  CARE_SITE (one per site id), DEATH, CDM_SOURCE (the extraction date: the day after the
  drop's last date);
- CONDITION_OCCURRENCE, MEASUREMENT (a '<0.5' result as operator '<' and 0.5; a
  qualitative result as value_as_concept_id; other text as value_source_value),
  DRUG_EXPOSURE (the end as verbatim_end_date; an order with no end gets the extraction
  date as drug_exposure_end_date, the convention the reader reads as open; the dose as a
  sig '20 mg QD'), PROCEDURE_OCCURRENCE.

Rows the contract refuses are rendered as they are (an unknown code system is a concept
of an unknown vocabulary, a bad date stays a bad date), so both forms quarantine them.
Like the generator, the renderer plays the site: it does not import the pipeline.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "omop_sql"
FIRST_CONCEPT_ID = 2_000_000_000
KINDS = ("patients", "diagnoses", "labs", "medications", "procedures")
# A result the contract writes '<0.5': comparator, then a plain number.
COMPARATOR = r"^(<=|>=|<|>)([0-9]+(\.[0-9]+)?)$"
# The CDM tables written, one query each in omop_sql/<table>.sql.
TABLES = (
    "CONCEPT", "CONCEPT_RELATIONSHIP", "CDM_SOURCE", "CARE_SITE", "PERSON", "DEATH",
    "CONDITION_OCCURRENCE", "MEASUREMENT", "DRUG_EXPOSURE", "PROCEDURE_OCCURRENCE",
)  # fmt: skip


def _kind_relation(con: duckdb.DuckDBPyConnection, drop: Path, kind: str) -> bool:
    """Temp table `c_<kind>`: every file of that kind, all columns as text; False if none."""
    parts = []
    for path in sorted(drop.iterdir()):
        name = path.name.lower()
        if not name.startswith(kind):
            continue
        if name.endswith(".parquet"):
            parts.append(f"select columns(*)::varchar from read_parquet('{path}')")
        elif name.endswith((".csv", ".csv.gz")):
            parts.append(f"select * from read_csv('{path}', all_varchar = true, header = true)")
    if not parts:
        return False
    con.execute(f"create temp table c_{kind} as " + " union all by name ".join(parts))
    return True


def render(drop: Path, out: Path) -> dict[str, int]:
    """Write the OMOP CDM tables of `drop` into `out` (CSV, upper-case names); row counts."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    present = {kind: _kind_relation(con, drop, kind) for kind in KINDS}
    for kind in KINDS:
        if not present[kind]:
            columns = {
                "diagnoses": "patient_id, code_system, code, diagnosis_date, source",
                "procedures": "patient_id, code_system, code, procedure_date",
            }.get(kind)
            if columns is None:
                raise ValueError(f"{drop}: no {kind} file to render")
            select = ", ".join(f"cast(null as varchar) as {c.strip()}" for c in columns.split(","))
            con.execute(f"create temp table c_{kind} as select {select} limit 0")
    for kind in ("diagnoses", "labs", "medications", "procedures"):
        con.execute(f"alter table c_{kind} add column _n bigint")
        con.execute(f"update c_{kind} set _n = rowid")
    con.execute("set variable comparator = ?", [COMPARATOR])
    con.execute("set variable first_concept_id = ?", [FIRST_CONCEPT_ID])
    con.execute("create temp table concepts as " + _sql("concepts"))
    con.execute("create temp table extraction as " + _sql("extraction"))
    counts = {}
    for name in TABLES:
        query = _sql(name.lower())
        target = out / f"{name}.csv"
        con.execute(f"copy ({query}) to '{target}' (header, delimiter ',')")
        counts[name] = con.execute(f"select count(*) from ({query})").fetchone()[0]
    con.close()
    return counts


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--drop", type=Path, required=True, help="a contract drop folder")
    parser.add_argument("--out", type=Path, required=True, help="the folder of the OMOP CDM tables")
    args = parser.parse_args(argv)
    for name, count in render(args.drop, args.out).items():
        print(f"{name}.csv: {count} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
