"""The data-quality gate: suites of `expectations/` as data (`suites`), Great Expectations
on DuckDB (`gx_duckdb`), results of a table's batches combined (`merge`), and the gate that
runs them and stops or warns (`gate`)."""
