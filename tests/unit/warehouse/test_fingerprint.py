"""The re-scan fingerprints cover whole folders: every module a stage runs is hashed, and
editing, adding or removing any file under a hashed folder changes the fingerprint."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.criteria import evaluate
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import fingerprint


def _modules_loaded_by(*modules: str) -> list[Path]:
    """Files of every `pipelines` module a fresh interpreter loads to import `modules`."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items()\n"
        "    if (n == 'pipelines' or n.startswith('pipelines.')) and getattr(m, '__file__', None))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    return [Path(p).resolve() for p in json.loads(out.stdout)]


def test_every_module_staging_and_the_gate_run_is_in_the_staging_fingerprint() -> None:
    hashed = set(fingerprint.files_under(fingerprint.STAGING_SOURCES))
    loaded = _modules_loaded_by("pipelines.staging.build", "pipelines.checks.gate")
    assert loaded, "no module found"
    missing = [str(p.relative_to(PROJECT_ROOT)) for p in loaded if p not in hashed]
    assert missing == []


def test_every_module_an_evaluation_runs_is_in_the_evaluation_fingerprint() -> None:
    hashed = set(
        fingerprint.files_under(
            (*fingerprint.STAGING_SOURCES, evaluate.COHORT_DIR, Path(evaluate.__file__).parent)
        )
    )
    missing = [
        str(p.relative_to(PROJECT_ROOT))
        for p in _modules_loaded_by("pipelines.criteria.evaluate")
        if p not in hashed
    ]
    assert missing == []


def _digest(paths: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    fingerprint.update_with_files(digest, paths)
    return digest.hexdigest()


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small stage package under a stand-in project root."""
    monkeypatch.setattr(fingerprint, "PROJECT_ROOT", tmp_path)
    stage = tmp_path / "pipelines" / "stage"
    (stage / "sub").mkdir(parents=True)
    (stage / "__init__.py").write_text("")
    (stage / "build.py").write_text("X = 1\n")
    (stage / "sub" / "rules.sql").write_text("select 1\n")
    return stage


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: (d / "build.py").write_text("X = 2\n"), id="a-module-edited"),
        pytest.param(lambda d: (d / "new_module.py").write_text(""), id="a-module-added"),
        pytest.param(lambda d: (d / "build.py").unlink(), id="a-module-removed"),
        pytest.param(lambda d: (d / "sub" / "rules.sql").write_text("select 2\n"), id="a-nested-file-edited"),
        pytest.param(lambda d: (d / "build.py").rename(d / "sub" / "build.py"), id="a-module-moved"),
    ],
)
def test_any_change_under_a_hashed_folder_changes_the_fingerprint(package: Path, edit) -> None:
    before = _digest((package,))
    edit(package)
    assert _digest((package,)) != before


def test_compiled_caches_do_not_change_the_fingerprint(package: Path) -> None:
    before = _digest((package,))
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "build.cpython-311.pyc").write_bytes(b"\0")
    assert _digest((package,)) == before
