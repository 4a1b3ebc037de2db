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
    # Column pairs of which a file must have at least one column (each row must then fill
    # one of them: checked row by row).
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "patients",
            required=("patient_id", "sex", "site_id"),
            # birth_date or birth_year: one of the two columns in the file, one of the
            # two values in each row.
            optional=("birth_date", "birth_year", "death_date"),
            one_of=(("birth_date", "birth_year"),),
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
        # Contract version 2: optional; a drop without procedures files is valid.
        Kind(
            "procedures",
            required=("patient_id", "code_system", "code", "procedure_date"),
            optional=(),
        ),
    )
}

# Contract column types (the same column name means the same thing in every kind).
DATE_COLUMNS = frozenset(
    {
        "birth_date",
        "death_date",
        "diagnosis_date",
        "result_date",
        "start_date",
        "end_date",
        "procedure_date",
    }
)
NUMBER_COLUMNS = frozenset({"value_num", "ref_low", "ref_high", "dose_value", "birth_year"})


def column_type(name: str) -> str:
    """`date`, `number` or `text`: what a contract column holds."""
    if name in DATE_COLUMNS:
        return "date"
    if name in NUMBER_COLUMNS:
        return "number"
    return "text"


# A header naming a direct identifier refuses the whole file. Names are compared after
# lower-casing and removing everything but letters and digits ("First Name" -> firstname).
# Each pattern is labelled with what it found, so a refusal can say why without quoting
# the header (which, in a file delivered without a header row, would be patient data).
_IDENTIFIER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email", r".*(email).*"),
    (
        "name",
        r"(patient|pt|person|first|last|given|family|full|middle|maiden|sur|nick)?name"
        r"|.*(firstname|lastname|surname|givenname|familyname|fullname|patientname|maidenname).*",
    ),
    ("medical record number", r".*(mrn|medicalrecord|recordnumber).*"),
    ("national id (SSN, NHS number, passport)", r".*(ssn|socialsecurity|nationalid|nhsnumber|passport).*"),
    ("address", r".*(address|street|city|zipcode|zip|postcode|postalcode).*"),
    ("phone", r".*(phone|telephone|mobile|cellnumber|fax).*|tel|telno|cell"),
    ("date of birth", r"dob|dateofbirth"),
)
_IDENTIFIER_RES = tuple((label, re.compile(pattern)) for label, pattern in _IDENTIFIER_PATTERNS)


def normalise_header(name: str) -> str:
    """Header names are case-insensitive and may carry spaces and a byte-order mark."""
    return name.replace("\ufeff", "").strip().lower()


def squeeze(name: str) -> str:
    """A header with case, spaces and punctuation removed ("Patient ID" -> patientid)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def direct_identifier(header: str) -> str | None:
    """What direct identifier a column name says it holds (`name`, `phone`, ...), or None.

    Contract columns never do (`drug_name` is a drug's name, not a person's).
    """
    if header in _ALL_CONTRACT_COLUMNS:
        return None
    squeezed = squeeze(header)
    for label, pattern in _IDENTIFIER_RES:
        if squeezed and pattern.fullmatch(squeezed):
            return label
    return None


def names_direct_identifier(header: str) -> bool:
    """True if a column name says it holds a direct identifier (contract columns never do)."""
    return direct_identifier(header) is not None


_ALL_CONTRACT_COLUMNS = frozenset(c for k in KINDS.values() for c in k.columns)
ALL_COLUMNS = _ALL_CONTRACT_COLUMNS


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
