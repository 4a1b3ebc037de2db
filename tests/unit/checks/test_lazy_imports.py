"""Modules Great Expectations imports and we never use are loaded only when used."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pipelines.checks import lazy_imports
from pipelines.settings import PROJECT_ROOT


@pytest.fixture
def unimported_module():
    """A standard-library module no test imports (`colorsys`), removed again after."""
    name = "colorsys"
    saved = sys.modules.pop(name, None)
    yield name
    sys.modules.pop(name, None)
    if saved is not None:
        sys.modules[name] = saved


def test_deferred_module_loads_on_first_attribute_and_answers_as_the_real_one(unimported_module):
    assert lazy_imports.defer((unimported_module,)) == [unimported_module]
    assert lazy_imports.is_deferred(unimported_module)
    stand_in = sys.modules[unimported_module]

    import colorsys  # the import statement finds the stand-in: nothing runs yet

    assert colorsys is stand_in and lazy_imports.is_deferred(unimported_module)
    assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert not lazy_imports.is_deferred(unimported_module)
    assert sys.modules[unimported_module] is not stand_in  # the real module took its place


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("sys", id="already-imported"),
        pytest.param("no_such_module_anywhere", id="missing"),
    ],
)
def test_defer_leaves_imported_and_missing_modules_alone(name):
    assert lazy_imports.defer((name,)) == []


def test_a_raw_validation_with_data_docs_never_loads_the_deferred_modules(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        from datetime import date
        from pathlib import Path
        from pipelines.checks import gate, lazy_imports
        from pipelines.warehouse.connect import connect
        con = connect(":memory:")
        results = gate.run_suites(con, "raw", date(2026, 11, 26), "R1", Path({str(tmp_path)!r}))
        assert results and (Path({str(tmp_path)!r}) / "data_docs" / "index.html").is_file()
        print({{n: lazy_imports.is_deferred(n) for n in lazy_imports.DEFERRED}})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "{'scipy.stats': True, 'altair': True}"
