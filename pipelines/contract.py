"""The extract contract as data: file kinds, their columns, and what is refused.

See README.md ("Extract contract") for the prose version. Only this module knows the
column lists; ingest and the checks in `sql/ingest/` follow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".csv.gz", ".csv", ".parquet")


@dataclass(frozen=True)
class Kind:
    """One kind of extract file and its columns."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "patients",
            required=("patient_id", "sex", "site_id"),
            # birth_date or birth_year: one of the two, checked row by row.
            optional=("birth_date", "birth_year", "death_date"),
        ),
        Kind(
            "diagnoses",
            required=("patient_id", "code_system", "code", "diagnosis_date"),
            optional=("source",),
        ),
        Kind(
            "labs",
            required=("patient_id", "code_system", "code", "result_date"),
            # value_num or value_text: one of the two, checked row by row.
            optional=("value_num", "value_text", "unit", "ref_low", "ref_high"),
        ),
        Kind(
            "medications",
            required=("patient_id", "code_system", "code", "start_date"),
            optional=(
                "drug_name",
                "end_date",
                "dose_value",
                "dose_unit",
                "frequency",
                "route",
            ),
        ),
    )
}

# A header naming a direct identifier refuses the whole file. Names are compared after
# lower-casing and removing everything but letters and digits ("First Name" -> firstname).
_IDENTIFIER_PATTERNS = (
    r"(patient|pt|person|first|last|given|family|full|middle|maiden|sur|nick)?name",
    r".*(firstname|lastname|surname|givenname|familyname|fullname|patientname|maidenname).*",
    r".*(mrn|medicalrecord|recordnumber|ssn|socialsecurity|nationalid|nhsnumber|passport).*",
    r".*(address|street|city|zipcode|zip|postcode|postalcode).*",
    r".*(phone|telephone|mobile|cellnumber|fax|email|emailaddress).*",
    r"(dob|dateofbirth)",
)
_IDENTIFIER_RE = re.compile("|".join(f"(?:{p})" for p in _IDENTIFIER_PATTERNS))


def normalise_header(name: str) -> str:
    """Header names are case-insensitive and may carry spaces and a byte-order mark."""
    return name.replace("\ufeff", "").strip().lower()


def names_direct_identifier(header: str) -> bool:
    """True if a column name says it holds a direct identifier (contract columns never do)."""
    if header in _ALL_CONTRACT_COLUMNS:
        return False
    squeezed = re.sub(r"[^a-z0-9]", "", header.lower())
    return bool(squeezed) and _IDENTIFIER_RE.fullmatch(squeezed) is not None


_ALL_CONTRACT_COLUMNS = frozenset(c for k in KINDS.values() for c in k.columns)


def kind_of(path: Path) -> Kind | None:
    """The kind of a drop file from its name's prefix, or None if it matches no kind."""
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        return None
    for kind in KINDS.values():
        if name.startswith(kind.name):
            return kind
    return None


def file_format(path: Path) -> str:
    """`csv` (plain or gzip) or `parquet`."""
    return "parquet" if path.name.lower().endswith(".parquet") else "csv"
