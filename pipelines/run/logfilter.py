"""Console filter for Prefect logging (see pipelines/run/logging.yml)."""

from __future__ import annotations

import logging

from pipelines.errors import CohortscanError


class OursOrWarnings(logging.Filter):
    """Pass our own progress lines and anything of level WARNING or above.

    A record carrying one of our own errors (a refused file, a broken trial) is held back:
    Prefect logs it with its traceback, and the CLI already says it in one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], CohortscanError):
            return False
        return record.levelno >= logging.WARNING or bool(getattr(record, "cohortscan", False))
