"""Combine GX results of a table's batches, and turn them into the gate's check results.

Row checks add up across batches (element, unexpected and missing counts; the lists of
unexpected values are kept to the first few for Data Docs); schema checks see the same
columns in every batch; a rule's offending-row counts add up. A check passes only when
it passes on every batch, which is exact because no check uses `mostly`.
"""

from __future__ import annotations

import math
from typing import Any

from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)

from pipelines.checks.suites import Check, Rule

PARTIAL = 20
_COUNTS = ("element_count", "unexpected_count", "missing_count")


def merge(
    a: ExpectationValidationResult | None, b: ExpectationValidationResult
) -> ExpectationValidationResult:
    """One expectation's result over two parts of a table."""
    if a is None:
        return b
    ra, rb = a.result or {}, b.result or {}
    if "unexpected_count" in ra and "unexpected_count" in rb:
        result = _merge_counts(ra, rb)
    elif "observed_value" in ra and a.expectation_config.type == "expect_table_row_count_to_equal":
        result = {**ra, "observed_value": ra["observed_value"] + rb["observed_value"]}
    else:
        result = ra if not a.success or b.success else rb  # the first failing batch's view
    raised = a.exception_info if _raised(a) else b.exception_info
    return ExpectationValidationResult(
        success=bool(a.success and b.success),
        expectation_config=a.expectation_config,
        result=result,
        meta=a.meta,
        exception_info=raised,
    )


def merge_all(
    a: ExpectationSuiteValidationResult | None, b: ExpectationSuiteValidationResult
) -> ExpectationSuiteValidationResult:
    """A suite's result over two parts of a table (expectations matched by check name)."""
    if a is None:
        return b
    by_name = {r.expectation_config.meta["check"]: r for r in b.results}
    results = [merge(r, by_name[r.expectation_config.meta["check"]]) for r in a.results]
    passed = sum(bool(r.success) for r in results)
    return ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=a.suite_name,
        suite_parameters=a.suite_parameters,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else None,
        },
        meta=dict(a.meta),
        batch_id=a.batch_id,
    )


def _merge_counts(ra: dict[str, Any], rb: dict[str, Any]) -> dict[str, Any]:
    merged = dict(ra)
    for key in _COUNTS:
        if key in ra or key in rb:
            merged[key] = ra.get(key, 0) + rb.get(key, 0)
    for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if key in ra or key in rb:
            merged[key] = (list(ra.get(key) or []) + list(rb.get(key) or []))[:PARTIAL]
    counts: dict[str, dict[str, Any]] = {}
    for item in list(ra.get("partial_unexpected_counts") or []) + list(
        rb.get("partial_unexpected_counts") or []
    ):
        slot = counts.setdefault(repr(item["value"]), {"value": item["value"], "count": 0})
        slot["count"] += item["count"]
    if counts:
        merged["partial_unexpected_counts"] = sorted(counts.values(), key=lambda c: -c["count"])[:PARTIAL]
    element, unexpected = merged["element_count"], merged["unexpected_count"]
    if "missing_count" in merged:
        missing = merged["missing_count"]
        merged["missing_percent"] = _percent(missing, element)
        merged["unexpected_percent_total"] = _percent(unexpected, element)
        merged["unexpected_percent_nonmissing"] = _percent(unexpected, element - missing)
        merged["unexpected_percent"] = merged["unexpected_percent_nonmissing"]
    else:
        merged["unexpected_percent"] = _percent(unexpected, element)
    return merged


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _raised(evr: ExpectationValidationResult) -> bool:
    return bool((evr.exception_info or {}).get("raised_exception"))


def check_result(
    spec: Check | Rule,
    evr: ExpectationValidationResult,
    batches: int,
    rows: int | None,
    files: dict[int, str],
    first_row: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The gate's view of one check: status, counts and where the first offending row is.

    No value of a row is kept here (these results go to logs, run.json and the
    warehouse): only counts and the file and line of the first offending row.
    """
    result = evr.result or {}
    is_rule = isinstance(spec, Rule)
    if is_rule:
        element, unexpected = rows, int(result.get("observed_value") or 0)
        located = first_row
    else:
        element = result.get("element_count", rows)
        unexpected = result.get("unexpected_count")
        located = (result.get("partial_unexpected_index_list") or [None])[0]
    status = "passed" if evr.success and not _raised(evr) else "failed"
    percent = result.get("unexpected_percent") if not is_rule else _percent(unexpected, element or 0)
    percent = None if percent is None or math.isnan(percent) else round(percent, 4)
    location = _location(located, files)
    limit = None if is_rule else spec.error_above_percent
    severity = spec.severity if is_rule or status == "passed" else spec.effective_severity(percent)
    detail = _detail(spec, evr, element, unexpected, location) if status == "failed" else None
    if detail is not None and limit is not None and percent is not None:
        side = "over" if severity == "error" else "within"
        detail += f"; {percent:g} % of rows, {side} the {limit:g} % limit"
    return {
        "stage": spec.stage,
        "table": spec.table,
        "check": spec.name,
        "expectation": "sql rule" if is_rule else spec.expectation,
        "kind": spec.kind,
        "severity": severity,
        "status": status,
        "element_count": element,
        "unexpected_count": unexpected,
        "unexpected_percent": percent,
        "error_above_percent": limit,
        "batches": batches,
        "first_location": location,
        "on_failure": spec.on_failure,
        "detail": detail,
    }


def _detail(spec, evr, element, unexpected, location: str | None) -> str:
    """What failed, in words, for the one-line message (no row values)."""
    result = evr.result or {}
    where = f" (first: {location})" if location else ""
    if _raised(evr):
        message = str(evr.exception_info.get("exception_message") or "").strip().splitlines()
        return f"the check could not run: {message[0] if message else 'unknown error'}"
    if isinstance(spec, Rule):
        of = f" of {element}" if element is not None else ""
        return f"{unexpected}{of} rows{where}"
    if unexpected is not None:
        return f"{unexpected} of {element} rows{where}"
    mismatched = (result.get("details") or {}).get("mismatched") or {}
    if mismatched.get("missing"):
        return f"column(s) {', '.join(mismatched['missing'])} missing"
    if "observed_value" in result:
        return f"observed {result['observed_value']}, expected {_expected(spec)}"
    return "failed"


def _expected(check: Check) -> str:
    args = check.args
    return str(args.get("type_") or args.get("type_list") or args.get("column_set") or args)


def _location(row: dict[str, Any] | None, files: dict[int, str]) -> str | None:
    """`labs.csv line 57` (`, column code`) from a row's _load_id/_line or file/line."""
    if not row:
        return None
    parts = []
    load_id = row.get("_load_id")
    file_name = row.get("file_name") or (files.get(int(load_id)) if _present(load_id) else None)
    if file_name:
        parts.append(str(file_name))
    line = row.get("_line", row.get("line"))
    if _present(line):
        parts.append(f"line {int(line)}")
    if row.get("column_name"):
        parts.append(f"column {row['column_name']}")
    return " ".join(parts).replace(" column", ", column") if parts else None


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
