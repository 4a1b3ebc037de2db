"""Staging: reference data and the typed, normalised `stg_*` tables built from the raw
tables by `sql/staging/` (`build`)."""
