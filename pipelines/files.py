"""Files the pipeline writes: atomic text and JSON writes, checksums, and who may read them.

Every stage that writes a file (the checks' Data Docs summary, the exports, what-ifs,
re-scan bookkeeping) goes through these, so a reader never sees half a file.

Patient-level files (the warehouse, its spill folder, candidates, criteria, changes,
what-ifs, Data Docs with their unexpected values) are readable by their owner only:
files 0600, folders 0700, whatever the umask (`restrict`); with a group given (setting
`private_group`), that group may read them too (0640, 0750). `private_umask()` makes
every file a process creates meanwhile private from the start (the CLI and the flows run
inside it), so a file DuckDB or Great Expectations creates is never readable by others,
not even for a moment. The feasibility report, meant to leave the site, gets the
ordinary mode of the process's own umask (`make_ordinary`).
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
GROUP_FILE_MODE = 0o640
GROUP_DIR_MODE = 0o750
# The umask the process started with (read once at import): what "ordinary" means.
_STARTUP_UMASK = os.umask(0o077)
os.umask(_STARTUP_UMASK)


def modes(group: str | None = None) -> tuple[int, int]:
    """(file mode, folder mode) of patient-level files: owner only, or owner and `group`."""
    return (GROUP_FILE_MODE, GROUP_DIR_MODE) if group else (PRIVATE_FILE_MODE, PRIVATE_DIR_MODE)


def restrict(path: Path, group: str | None = None) -> None:
    """Give `path` (a file, or a folder and everything under it) the patient-level modes;
    with `group`, hand it to that group (which must exist: KeyError otherwise)."""
    file_mode, dir_mode = modes(group)
    gid = grp.getgrnam(group).gr_gid if group else -1
    targets = [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]
    for target in targets:
        info = target.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        if gid != -1:
            os.chown(target, -1, gid)
        os.chmod(target, dir_mode if stat.S_ISDIR(info.st_mode) else file_mode)


def private_dir(path: Path, group: str | None = None) -> Path:
    """Create `path` (and missing parents) with the patient-level folder mode."""
    path.mkdir(parents=True, exist_ok=True, mode=modes(group)[1])
    restrict_one(path, group)
    return path


def restrict_one(path: Path, group: str | None = None) -> None:
    """`restrict` for one file or folder, not what is under it."""
    file_mode, dir_mode = modes(group)
    if group:
        os.chown(path, -1, grp.getgrnam(group).gr_gid)
    os.chmod(path, dir_mode if path.is_dir() else file_mode)


def make_ordinary(path: Path) -> None:
    """A file (or folder) meant to leave the site: the mode the process's own umask gives
    (0644, 0755 under the usual 022), whatever `private_umask` set meanwhile."""
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_STARTUP_UMASK)


@contextmanager
def private_umask(group: str | None = None) -> Iterator[None]:
    """Within the block, files and folders this process creates are private (umask 077,
    or 027 with a group); the previous umask is restored after."""
    previous = os.umask(0o027 if group else 0o077)
    try:
        yield
    finally:
        os.umask(previous)


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
