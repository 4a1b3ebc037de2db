"""The data-quality suites of `expectations/` as data: load, check and build GX suites.

One TOML file per guarded table (`expectations/<table>.toml`) lists its checks; each
check names one Great Expectations expectation and its arguments, plus what the gate
needs: the Kahn category (`kind`), the `severity` (error stops the run, warning is
reported), what happens to offending rows (`on_failure`) and where its threshold comes
from (`note`). A `warning` check may declare a table-level threshold,
`error_above_percent` with its `threshold_source`: it stops the run only when more than
that share of the rows it checks fail (as GX's `mostly` or OHDSI DQD's thresholds do),
so that one bad row is reported, not a reason to give no list at all. Rules that span
rows or tables are SQL files listed in
`expectations/cross_table.toml`; each returns the offending rows. See
`expectations/README.md` for the catalogue.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.errors import SuiteConfigError
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse.connect import ident

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
RULES_FILE = "cross_table.toml"
STAGES = ("raw", "staging")
KINDS = ("conformance", "completeness", "plausibility")
SEVERITIES = ("error", "warning")
# Expectations whose per-batch results add up to the whole table's result (row-wise
# checks), or that see the same thing in every batch (schema checks). Anything else
# (uniqueness, means, ...) cannot be combined across batches: write a cross-table rule.
ROW_CHECKS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_value_lengths_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
    }
)
SCHEMA_CHECKS = frozenset({"expect_table_columns_to_match_set", "expect_column_to_exist"})
# Run-time values a check may name as "$<name>" (GX suite parameters).
PARAMETERS = ("as_of", "as_of_year")
_META_KEYS = {
    "name",
    "kind",
    "severity",
    "on_failure",
    "note",
    "expectation",
    "args",
    "where",
    "error_above_percent",
    "threshold_source",
}


@dataclass(frozen=True)
class Check:
    """One expectation of a table's suite, with what the gate does when it fails."""

    name: str
    table: str
    stage: str
    expectation: str
    args: dict[str, Any]
    kind: str
    severity: str
    on_failure: str
    note: str
    where: dict[str, Any] | None = None  # {column, equals | is_null | is_not_null}
    # A warning that stops the run when more than this share (%) of the checked rows fail.
    error_above_percent: float | None = None
    threshold_source: str | None = None

    def effective_severity(self, unexpected_percent: float | None) -> str:
        """`error` or `warning` for a failed run of this check: a check with a table-level
        threshold is an error only above it (or when no share could be computed)."""
        if self.error_above_percent is None:
            return self.severity
        if unexpected_percent is None or unexpected_percent > self.error_above_percent:
            return "error"
        return "warning"


@dataclass(frozen=True)
class Suite:
    """The checks of one guarded table, and the columns derived for them."""

    table: str
    stage: str
    description: str
    checks: tuple[Check, ...]
    derived: dict[str, str] = field(default_factory=dict)
    locate_by: tuple[str, ...] = ("_load_id", "_line")

    def columns(self) -> set[str]:
        """The columns the checks read (and those locating a row), derived ones included."""
        names = set(self.locate_by)
        for check in self.checks:
            names |= {check.args[k] for k in ("column", "column_A", "column_B") if k in check.args}
            names |= set(check.args.get("column_set", ()))
            if check.where:
                names.add(check.where["column"])
        return names

    def query(self, table_columns: list[str], schema: str | None = None, where: str | None = None) -> str:
        """The SELECT GX validates: of the table's columns those the checks read, plus
        the derived columns. A column the table lacks is left out, so the check naming it
        fails instead of the query. `schema` qualifies the table (a view in another
        schema would otherwise bind the table's name to itself); `where` (SQL) restricts
        the rows checked (a delta's, see `pipelines/checks/gate.py`)."""
        wanted = self.columns()
        select = [_quote(c) for c in table_columns if c in wanted]
        select += [f"{expr} as {_quote(name)}" for name, expr in self.derived.items()]
        source = f"{ident(schema)}.{ident(self.table)}" if schema else ident(self.table)
        condition = f" where {where}" if where else ""
        return f"select {', '.join(select) or '*'} from {source}{condition}"


@dataclass(frozen=True)
class Rule:
    """A cross-table rule: a SQL file returning the offending rows (none when it holds)."""

    name: str
    table: str
    stage: str
    sql: Path
    kind: str
    severity: str
    on_failure: str
    note: str
    of: str | None = None  # the table whose row count is the denominator, if any


def _quote(name: str) -> str:
    """A column name of our own tables as an identifier (`_load_id` included)."""
    return '"' + name.replace('"', '""') + '"'


def load_suites(stage: str, folder: Path = EXPECTATIONS_DIR) -> list[Suite]:
    """Every table suite of a stage (`raw` or `staging`), sorted by table name."""
    suites = [_load_suite(path) for path in sorted(folder.glob("*.toml")) if path.name != RULES_FILE]
    return [s for s in suites if s.stage == stage]


def load_rules(stage: str, folder: Path = EXPECTATIONS_DIR) -> list[Rule]:
    """The cross-table rules of a stage, in file order."""
    path = folder / RULES_FILE
    if not path.exists():
        return []
    data = _read_toml(path)
    rules = []
    for entry in data.get("rules", []):
        where = f"{path.name} rule {entry.get('name', '?')!r}"
        _require(entry, ("name", "table", "stage", "sql", "kind", "severity", "on_failure", "note"), where)
        _check_enums(entry, where)
        sql = folder / entry["sql"]
        if not sql.is_file():
            raise SuiteConfigError(
                f"{where}: SQL file {entry['sql']!r} does not exist (expected under {folder})"
            )
        rule = Rule(
            name=entry["name"],
            table=entry["table"],
            stage=entry["stage"],
            sql=sql,
            kind=entry["kind"],
            severity=entry["severity"],
            on_failure=entry["on_failure"],
            note=entry["note"],
            of=entry.get("of"),
        )
        if rule.stage == stage:
            rules.append(rule)
    return rules


def parameters_for(as_of: date) -> dict[str, Any]:
    """Values of the run-time parameters checks may name ("$as_of", "$as_of_year")."""
    return {"as_of": as_of, "as_of_year": as_of.year}


def _load_suite(path: Path) -> Suite:
    data = _read_toml(path)
    where = path.name
    _require(data, ("table", "stage", "description", "checks"), where)
    if data["table"] != path.stem:
        raise SuiteConfigError(
            f"{where}: table {data['table']!r} does not match the file name (expected {path.stem!r})"
        )
    if data["stage"] not in STAGES:
        raise SuiteConfigError(f"{where}: stage {data['stage']!r} is not one of {', '.join(STAGES)}")
    checks = tuple(_check(entry, data["table"], data["stage"], where) for entry in data["checks"])
    names = [c.name for c in checks]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SuiteConfigError(f"{where}: check {duplicated[0]!r} appears twice (names must be unique)")
    return Suite(
        table=data["table"],
        stage=data["stage"],
        description=data["description"],
        checks=checks,
        derived=dict(data.get("derived", {})),
        locate_by=tuple(data.get("locate_by", ("_load_id", "_line"))),
    )


def _check(entry: dict[str, Any], table: str, stage: str, where: str) -> Check:
    where = f"{where} check {entry.get('name', '?')!r}"
    _require(entry, ("name", "kind", "severity", "on_failure", "note", "expectation", "args"), where)
    unknown = sorted(set(entry) - _META_KEYS)
    if unknown:
        raise SuiteConfigError(
            f"{where}: unknown key {unknown[0]!r} (expected {', '.join(sorted(_META_KEYS))})"
        )
    _check_enums(entry, where)
    expectation = entry["expectation"]
    if expectation not in ROW_CHECKS | SCHEMA_CHECKS:
        raise SuiteConfigError(
            f"{where}: expectation {expectation!r} cannot be combined across batches "
            "(use a row-wise or schema expectation, or a cross-table rule)"
        )
    if "mostly" in entry["args"] or "row_condition" in entry["args"]:
        raise SuiteConfigError(
            f"{where}: 'mostly' and 'row_condition' are not allowed (severity and 'where' are)"
        )
    for value in entry["args"].values():
        if isinstance(value, str) and value.startswith("$") and value[1:] not in PARAMETERS:
            raise SuiteConfigError(
                f"{where}: unknown parameter {value!r} (expected ${', $'.join(PARAMETERS)})"
            )
    _check_where(entry.get("where"), where)
    _check_threshold(entry, where)
    regex = entry["args"].get("regex")
    if regex is not None and re.compile(regex).groups:
        # pandas warns on capturing groups, and GX then reports the check as not run
        raise SuiteConfigError(f"{where}: regex {regex!r} has a capturing group (write (?:...))")
    return Check(
        name=entry["name"],
        table=table,
        stage=stage,
        expectation=expectation,
        args=dict(entry["args"]),
        kind=entry["kind"],
        severity=entry["severity"],
        on_failure=entry["on_failure"],
        note=entry["note"],
        where=entry.get("where"),
        error_above_percent=entry.get("error_above_percent"),
        threshold_source=entry.get("threshold_source"),
    )


def _check_threshold(entry: dict[str, Any], where: str) -> None:
    """`error_above_percent` (0 to 100) goes with severity warning and a `threshold_source`."""
    if "error_above_percent" not in entry and "threshold_source" not in entry:
        return
    limit = entry.get("error_above_percent")
    if not isinstance(limit, int | float) or isinstance(limit, bool) or not 0 <= limit < 100:
        raise SuiteConfigError(f"{where}: error_above_percent must be a number from 0 to below 100")
    if entry["severity"] != "warning":
        raise SuiteConfigError(
            f"{where}: error_above_percent is for a warning check (it becomes an error above the limit)"
        )
    if not entry.get("threshold_source"):
        raise SuiteConfigError(
            f"{where}: error_above_percent needs a threshold_source (where the limit comes from)"
        )


def _check_where(condition: Any, where: str) -> None:
    """`where` restricts a check to rows where one column equals a value or is (not) null."""
    if condition is None:
        return
    tests = {"equals", "is_null", "is_not_null"}
    if (
        not isinstance(condition, dict)
        or "column" not in condition
        or len(set(condition) & tests) != 1
        or set(condition) - tests - {"column"}
    ):
        raise SuiteConfigError(
            f"{where}: 'where' must be {{ column = ..., equals = ... }}, "
            "{ column = ..., is_null = true } or { column = ..., is_not_null = true }"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SuiteConfigError(f"{path.name}: not valid TOML ({err})") from None


def _require(entry: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in entry]
    if missing:
        raise SuiteConfigError(f"{where}: {missing[0]!r} is missing (expected {', '.join(keys)})")


def _check_enums(entry: dict[str, Any], where: str) -> None:
    if entry["kind"] not in KINDS:
        raise SuiteConfigError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    if entry["severity"] not in SEVERITIES:
        raise SuiteConfigError(
            f"{where}: severity {entry['severity']!r} is not one of {', '.join(SEVERITIES)}"
        )
    if "stage" in entry and entry["stage"] not in STAGES:
        raise SuiteConfigError(f"{where}: stage {entry['stage']!r} is not one of {', '.join(STAGES)}")
