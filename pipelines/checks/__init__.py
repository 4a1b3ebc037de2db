"""The data-quality gate: suites of `expectations/` as data (`suites`), Great Expectations
on DuckDB (`gx_duckdb`), results of a table's batches combined (`merge`), and the gate that
runs them and stops or warns (`gate`). Importing the package defers two modules Great
Expectations imports and we never use (`lazy_imports`)."""

from pipelines.checks import lazy_imports

lazy_imports.defer()  # before any module of this package imports Great Expectations
