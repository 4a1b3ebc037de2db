# Two entry points for a fresh clone: `make scan` and `make test`.
# Each creates the virtual environment in .venv when it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: scan test lint format bench clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## Run the default scan: data/sample/ into warehouse/cohortscan.duckdb, exports/.
scan: $(STAMP)
	$(BIN)/cohortscan scan

## Style checks (ruff, ruff-format, sqlfluff) then the whole test suite, one worker per core
## (at most 4: each worker running flow tests starts a Prefect test server); a test file
## runs whole on one worker, so its module fixtures are built once. Files are handed out in
## the order tests/conftest.py gives them (slowest first: flows, integration, unit, then
## tests/sql by size), not xdist's default (most tests first, which left the few-test,
## minute-long flow files for the end).
test: $(STAMP) chromium
	$(MAKE) lint
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

## Debian's chromium for the feasibility.html browser test (once; no-op when present).
chromium:
	sh scripts/ensure_chromium.sh

## Benchmark: per-stage figures for drops of SIZES patients (N or N:shape), written to
## bench/README.md, then every target of issue 20 with its verdict.
SIZES ?= 10000,100000,500000:sparse,1000000
REPEAT ?= 1
bench: $(STAMP)
	$(BIN)/python bench/run.py --sizes $(SIZES) --repeat $(REPEAT) --readme

lint: $(STAMP)
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

format: $(STAMP)
	$(BIN)/ruff format pipelines tests
	$(BIN)/ruff check --fix pipelines tests
	$(BIN)/sqlfluff fix sql

clean:
	rm -rf $(VENV) warehouse exports .pytest_cache
