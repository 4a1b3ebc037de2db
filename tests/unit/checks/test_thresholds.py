"""Table-level thresholds of row checks (`error_above_percent`) and the hold on GX's
Data Docs renderer errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipelines.checks import gate, suites
from pipelines.checks.suites import EXPECTATIONS_DIR, load_suites
from pipelines.errors import SuiteConfigError

SUITE = """table = "stg_labs"
stage = "staging"
description = "d"

[[checks]]
name = "hb"
kind = "plausibility"
severity = "{severity}"
expectation = "expect_column_values_to_be_between"
args = {{ column = "value", min_value = 20 }}
on_failure = "kept"
note = "n"
{extra}
"""


def _check(tmp_path: Path, severity: str = "warning", extra: str = ""):
    (tmp_path / "stg_labs.toml").write_text(SUITE.format(severity=severity, extra=extra), encoding="utf-8")
    return load_suites("staging", tmp_path)[0].checks[0]


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        pytest.param(1.1, "warning", id="one-of-91-rows-is-a-warning"),
        pytest.param(5.0, "warning", id="exactly-at-the-limit-is-a-warning"),
        pytest.param(5.01, "error", id="over-the-limit-stops-the-run"),
        pytest.param(None, "error", id="no-share-computed-stops-the-run"),
    ],
)
def test_a_warning_with_a_threshold_is_an_error_only_above_it(tmp_path, percent, expected):
    check = _check(tmp_path, extra='error_above_percent = 5\nthreshold_source = "s"')
    assert check.effective_severity(percent) == expected


def test_a_check_without_threshold_keeps_its_severity(tmp_path):
    assert _check(tmp_path, severity="error").effective_severity(0.001) == "error"
    assert _check(tmp_path).effective_severity(100.0) == "warning"


@pytest.mark.parametrize(
    ("severity", "extra", "message"),
    [
        pytest.param("warning", "error_above_percent = 5", "needs a threshold_source", id="no-source"),
        pytest.param(
            "error", 'error_above_percent = 5\nthreshold_source = "s"', "is for a warning", id="on-error"
        ),
        pytest.param(
            "warning", 'error_above_percent = 100\nthreshold_source = "s"', "from 0 to below 100", id="100"
        ),
        pytest.param(
            "warning", 'error_above_percent = "5"\nthreshold_source = "s"', "must be a number", id="text"
        ),
    ],
)
def test_a_malformed_threshold_is_refused_in_one_line(tmp_path, severity, extra, message):
    with pytest.raises(SuiteConfigError, match=message):
        _check(tmp_path, severity=severity, extra=extra)


def test_every_range_check_of_stg_labs_has_a_threshold_with_its_source():
    labs = next(s for s in load_suites("staging", EXPECTATIONS_DIR) if s.table == "stg_labs")
    ranges = [c for c in labs.checks if c.name.endswith(("_in_plausible_range", "_in_scale"))]
    assert ranges
    for check in ranges:
        assert (check.severity, check.error_above_percent) == ("warning", 5), check.name
        assert check.threshold_source and "OHDSI" in check.threshold_source, check.name
    assert suites.Check.effective_severity  # the gate reads it through merge.check_result


def test_the_dose_range_check_of_stg_medications_is_a_warning_with_a_threshold():
    """One implausible order never stops the night: it is flagged in staging
    (stg_medications.dose_implausible) and the run stops only past the share."""
    medications = next(s for s in load_suites("staging", EXPECTATIONS_DIR) if s.table == "stg_medications")
    check = next(c for c in medications.checks if c.name == "prednisone_equivalent_plausible")
    assert (check.severity, check.error_above_percent) == ("warning", 5)
    assert check.threshold_source and "OHDSI" in check.threshold_source


def test_renderer_errors_are_held_back_and_said_once_in_one_line(caplog, monkeypatch, tmp_path):
    render_logger = logging.getLogger("great_expectations.render.renderer.site_builder")
    message = (
        "An unexpected Exception occurred during data docs rendering.  Detailed information follows:\n"
        'ValueError: "offset must be a timedelta strictly between -timedelta(hours=24) and '
        'timedelta(hours=24).".  Traceback: "Traceback (most recent call last):\n  File x\n".'
    )

    class Context:
        def build_data_docs(self, site_names):
            render_logger.error(message)
            render_logger.error(message)

        def get_config(self):
            site = {"store_backend": {"base_directory": str(tmp_path)}}
            return type("Config", (), {"data_docs_sites": {gate.DOCS_SITE: site}})()

    monkeypatch.setattr(gate.docs_offline, "make_offline", lambda folder: None)

    with caplog.at_level(logging.WARNING):
        gate.build_docs(Context())
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "Data Docs: 2 part(s) could not be drawn and are left out of the pages (ValueError: offset must be a "
        "timedelta strictly between -timedelta(hours=24) and timedelta(hours=24).)"
    ]
    assert not render_logger.filters  # the hold ends with the build
