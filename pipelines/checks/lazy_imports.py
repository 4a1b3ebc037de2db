"""SciPy's `stats` and Altair loaded on first use, not when Great Expectations is imported.

Great Expectations imports `scipy.stats` and `altair` at import time for expectations
and metrics we never run (KL divergence and its chart, two KS tests: `from scipy import
stats`, `import altair as alt`, used only inside their functions). The two cost about
half of GX's import (SciPy 2 of its 4 s on the bench machine), paid by every scan
before it reads a row. `defer()` registers in their place stand-in modules: each
carries the real module's spec (so the import system takes it as imported) and, on the
first read of any other attribute, imports the real module and answers from it (PEP 562
module `__getattr__`). Nothing we run reads one, so a scan never pays for them; a check
that did would load the module then, with the same result. (`importlib.util.LazyLoader`
does not help here: the import system reads the module's `__spec__`, which loads it at
once.) Called by `pipelines/checks/__init__.py`, before any module of the package
imports Great Expectations.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

DEFERRED = ("scipy.stats", "altair")


def defer(names: tuple[str, ...] = DEFERRED) -> list[str]:
    """Register a stand-in for each module of `names` not imported yet; return the names
    registered (none when a module is missing or already imported)."""
    registered = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ImportError:
            continue
        if spec is None:
            continue
        sys.modules[name] = _stand_in(name, spec)
        registered.append(name)
    return registered


def is_deferred(name: str) -> bool:
    """True while `name` is a stand-in whose real module has not been loaded."""
    module = sys.modules.get(name)
    return isinstance(module, types.ModuleType) and getattr(module, "_deferred_real", False) is None


def _stand_in(name: str, spec) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module._deferred_real = None

    def __getattr__(attr: str):
        real = module._deferred_real
        if real is None:
            if sys.modules.get(name) is module:
                del sys.modules[name]
            real = importlib.import_module(name)
            module._deferred_real = real
        return getattr(real, attr)

    module.__getattr__ = __getattr__
    return module
