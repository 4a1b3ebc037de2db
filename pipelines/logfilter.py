"""Console filter for Prefect logging (see pipelines/logging.yml)."""

from __future__ import annotations

import logging


class OursOrWarnings(logging.Filter):
    """Pass our own progress lines and anything of level WARNING or above."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or bool(getattr(record, "cohortscan", False))
