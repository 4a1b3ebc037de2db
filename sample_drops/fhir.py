"""Render a drop in the extract contract (data/sample) as FHIR R4 bulk-data ndjson.

Dev-only, like the generator: it exists so that a test can scan the same patients
delivered as contract files and as FHIR and require the same criteria results. Each
contract row becomes one resource, in the form the FHIR reader maps back to that row
(docs/inputs.md): patients -> Patient, diagnoses -> Condition, labs -> Observation,
medications -> MedicationRequest (CVX rows -> Immunization), procedures -> Procedure.
Values are rendered as delivered, bad ones included (an unknown sex, a code system the
contract does not know, an impossible date), so that both forms quarantine the same rows.

    python -m sample_drops.fhir data/sample /tmp/sample-fhir
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

# Contract code system -> FHIR system URI (sql/inputs/fhir/data/code_systems.csv read
# backwards); a system the contract does not know keeps a URI of its own, unknown to
# the reader too.
SYSTEMS = {
    "LOINC": "http://loinc.org",
    "SNOMEDCT": "http://snomed.info/sct",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD9CM": "http://hl7.org/fhir/sid/icd-9-cm",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ATC": "http://www.whocc.no/atc",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    "CPT4": "http://www.ama-assn.org/go/cpt",
    "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "HCPCS": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "SCORE": "urn:cohortscan:score",
}
SNOMED_ROUTES = {"oral": "26643006", "iv": "47625008", "sc": "34206005", "im": "78421000"}
# Contract frequency -> Timing.repeat (frequency, period, periodUnit).
REPEATS = {
    "QD": (1, 1, "d"),
    "BID": (2, 1, "d"),
    "TID": (3, 1, "d"),
    "QID": (4, 1, "d"),
    "QOD": (1, 2, "d"),
    "Q4H": (1, 4, "h"),
    "Q6H": (1, 6, "h"),
    "Q8H": (1, 8, "h"),
    "Q12H": (1, 12, "h"),
    "Q24H": (1, 24, "h"),
    "QW": (1, 1, "wk"),
    "Q2W": (1, 2, "wk"),
    "Q4W": (1, 4, "wk"),
}
GENDERS = {
    "f": "female",
    "female": "female",
    "m": "male",
    "male": "male",
    "u": "unknown",
    "unknown": "unknown",
}
CATEGORIES = {"encounter": "encounter-diagnosis", "problem_list": "problem-list-item"}
_COMPARATOR = re.compile(r"\s*(<=|>=|<|>)\s*([+-]?(\d+(\.\d*)?|\.\d+))\s*")
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def render(source: Path, out_dir: Path) -> dict[str, int]:
    """Write one ndjson file per resource type into `out_dir`; resources per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    counts: dict[str, int] = {}
    writers = {
        "patients": _patients,
        "diagnoses": _conditions,
        "labs": _observations,
        "medications": _medications,
        "procedures": _procedures,
    }
    files: dict[str, Any] = {}
    try:
        for kind, write in writers.items():
            for index, row in enumerate(_rows(con, source, kind), start=1):
                resource = write(row, f"{kind[:3]}{index}")
                name = resource["resourceType"]
                if name not in files:
                    files[name] = (out_dir / f"{name}.ndjson").open("w", encoding="utf-8")
                files[name].write(json.dumps(_prune(resource), separators=(",", ":")) + "\n")
                counts[name] = counts.get(name, 0) + 1
    finally:
        for handle in files.values():
            handle.close()
        con.close()
    return counts


def _rows(con: duckdb.DuckDBPyConnection, source: Path, kind: str) -> Iterator[dict[str, str | None]]:
    """Every row of a kind's files, all values as text (header names lower-cased)."""
    for path in sorted(source.iterdir()):
        name = path.name.lower()
        if not name.startswith(kind):
            continue
        if name.endswith(".parquet"):
            query = "select * from read_parquet(?)"
        elif name.endswith((".csv", ".csv.gz")):
            query = "select * from read_csv(?, all_varchar = true, header = true)"
        else:
            continue
        result = con.execute(query, [str(path)])
        columns = [d[0].strip().lower() for d in result.description]
        while batch := result.fetchmany(10_000):
            for values in batch:
                yield {
                    c: (None if v is None or str(v).strip() == "" else str(v))
                    for c, v in zip(columns, values, strict=True)
                }


def _patients(row: dict, _: str) -> dict:
    sex = row.get("sex")
    return {
        "resourceType": "Patient",
        "id": row.get("patient_id"),
        "gender": GENDERS.get((sex or "").strip().lower(), sex),
        "birthDate": row.get("birth_date") or row.get("birth_year"),
        "deceasedDateTime": row.get("death_date"),
        "managingOrganization": {"reference": f"Organization/{row['site_id']}"}
        if row.get("site_id")
        else None,
    }


def _subject(row: dict) -> dict | None:
    return {"reference": f"Patient/{row['patient_id']}"} if row.get("patient_id") else None


def _coding(row: dict) -> dict:
    system = (row.get("code_system") or "").strip()
    uri = SYSTEMS.get(re.sub(r"[^A-Z0-9]", "", system.upper()), f"urn:cohortscan:code-system:{system}")
    return {"coding": [{"system": uri, "code": row.get("code")}]}


def _conditions(row: dict, rid: str) -> dict:
    source = row.get("source")
    category = {"coding": [{"code": CATEGORIES.get(source, source)}]} if source else None
    return {
        "resourceType": "Condition",
        "id": rid,
        "category": [category] if category else None,
        "code": _coding(row),
        "subject": _subject(row),
        "onsetDateTime": row.get("diagnosis_date"),
    }


def _number(text: str | None) -> float | int | str | None:
    """A JSON number when the text is one (as the contract reads it), else the text."""
    if text is None or not _NUMBER.fullmatch(text):
        return text
    value = float(text)
    return int(value) if value.is_integer() and "e" not in text.lower() and "." not in text else value


def _observations(row: dict, rid: str) -> dict:
    unit, text = row.get("unit"), row.get("value_text")
    value: dict[str, Any] = {}
    if row.get("value_num") is not None:
        value["valueQuantity"] = {"value": _number(row["value_num"]), "unit": unit}
    elif text is not None and (match := _COMPARATOR.fullmatch(text)):
        value["valueQuantity"] = {
            "comparator": match.group(1),
            "value": _number(match.group(2)),
            "unit": unit,
        }
    elif text is not None:
        value["valueString"] = text
    ranges = {"low": row.get("ref_low"), "high": row.get("ref_high")}
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": _coding(row),
        "subject": _subject(row),
        "effectiveDateTime": row.get("result_date"),
        **value,
        # the range carries the unit: a text result's only place for it in FHIR
        "referenceRange": [
            {k: {"value": _number(v), "unit": unit} for k, v in ranges.items() if v is not None}
        ]
        if any(ranges.values())
        else None,
    }


def _dose(row: dict) -> dict | None:
    if row.get("dose_value") is None and row.get("dose_unit") is None:
        return None
    return {"value": _number(row.get("dose_value")), "unit": row.get("dose_unit")}


def _route(row: dict) -> dict | None:
    route = row.get("route")
    if route is None:
        return None
    code = SNOMED_ROUTES.get(route.strip().lower())
    if code:
        return {"coding": [{"system": "http://snomed.info/sct", "code": code}]}
    return {"text": route}


def _medications(row: dict, rid: str) -> dict:
    drug = {**_coding(row), "text": row.get("drug_name")}
    if (row.get("code_system") or "").strip().upper() == "CVX":
        return {
            "resourceType": "Immunization",
            "id": rid,
            "status": "completed",
            "vaccineCode": drug,
            "patient": _subject(row),
            "occurrenceDateTime": row.get("start_date"),
            "doseQuantity": _dose(row),
            "route": _route(row),
        }
    frequency = (row.get("frequency") or "").strip()
    timing: dict[str, Any] | None = None
    if frequency.upper() in REPEATS:
        every, period, unit = REPEATS[frequency.upper()]
        timing = {"repeat": {"frequency": every, "period": period, "periodUnit": unit}}
    elif frequency.upper() == "ONCE":
        timing = {"repeat": {"count": 1}}
    elif frequency and frequency.upper() != "PRN":
        timing = {"code": {"text": frequency}}
    dose = _dose(row)
    dosage = {
        "timing": timing,
        "asNeededBoolean": True if frequency.upper() == "PRN" else None,
        "route": _route(row),
        "doseAndRate": [{"doseQuantity": dose}] if dose else None,
    }
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": drug,
        "subject": _subject(row),
        "authoredOn": row.get("start_date"),
        "dosageInstruction": [dosage] if any(v is not None for v in dosage.values()) else None,
        "dispenseRequest": {"validityPeriod": {"start": row.get("start_date"), "end": row.get("end_date")}},
    }


def _procedures(row: dict, rid: str) -> dict:
    return {
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "code": _coding(row),
        "subject": _subject(row),
        "performedDateTime": row.get("procedure_date"),
    }


def _prune(value: Any) -> Any:
    """FHIR JSON has no nulls and no empty objects or arrays."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, {}, [])]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: render SOURCE (a contract drop) into OUT_DIR as FHIR ndjson."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    counts = render(args.source, args.out_dir)
    print(", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
