"""Our own exceptions: each says what failed, the value, and what was expected.

The CLI turns any `CohortscanError` into one line on stderr and a non-zero exit code;
nothing else of ours should reach the user as a traceback.
"""

from __future__ import annotations


class CohortscanError(Exception):
    """Base class; `str(err)` is the one-line message shown to the user."""

    exit_code = 1


class DropRefused(CohortscanError):
    """A drop (or a file of it) cannot be loaded as delivered."""

    exit_code = 2


class FileRefused(DropRefused):
    """One file is refused whole: nothing of it is stored.

    `line` is the record where the reader found the fault, when there is one (a parquet
    file's rows are called rows).
    """

    def __init__(self, file_name: str, reason: str, line: int | None = None) -> None:
        where = file_name
        if line is not None:
            where += f" {'row' if file_name.lower().endswith('.parquet') else 'line'} {line}"
        super().__init__(f"{where}: {reason}")
        self.file_name = file_name
        self.reason = reason
        self.line = line


class TrialConfigError(CohortscanError):
    """A trial folder is inconsistent (manifest, SQL files, parameters, value sets)."""

    exit_code = 3


class ParameterError(CohortscanError):
    """An unknown parameter name or a value of the wrong type."""

    exit_code = 3


class ValidationFailed(CohortscanError):
    """A data-quality check of severity `error` failed: no export is replaced."""

    exit_code = 4


class SuiteConfigError(CohortscanError):
    """A data-quality suite or rule in expectations/ is malformed."""


class WarehouseBusy(CohortscanError):
    """Another process holds the warehouse file."""

    exit_code = 5


class NotFound(CohortscanError):
    """A patient, run or trial asked for does not exist."""

    exit_code = 6


class SiteReportRefused(CohortscanError):
    """A site's feasibility.json cannot be read as a feasibility report (network merge)."""

    exit_code = 2


class SiteMismatch(CohortscanError):
    """Sites of a network merge ran another trial version or as-of date."""

    exit_code = 3
