"""Files the pipeline writes: atomic text and JSON writes, and checksums.

Every stage that writes a file (the checks' Data Docs summary, the exports, what-ifs,
re-scan bookkeeping) goes through these, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def write_text(path: Path, text: str) -> None:
    """Write a text file through a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON through a temporary file and an atomic rename."""
    write_text(path, json.dumps(payload, indent=2, default=str) + "\n")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_checksums(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under `folder` (relative POSIX path -> hex), but `skip`."""
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() not in skip
    }
