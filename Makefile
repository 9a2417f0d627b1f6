# Two entry points for a fresh machine: `make serve` and `make test` (see README).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: serve test lint typecheck unit browser demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

serve: $(STAMP)  ## set up, then run the API on SQLite (./casetrail.db)
	$(BIN)/casetrail serve

demo: $(STAMP)  ## load the demo data set into the configured store
	$(BIN)/casetrail demo

test: $(STAMP) lint typecheck  ## set up, then run every check and test (PostgreSQL included)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check domain application infrastructure api tests bench
	$(BIN)/ruff format --check domain application infrastructure api tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)  ## set up, then run the service benchmark against its baseline (PostgreSQL, ~10 min)
	$(BIN)/python -m bench

unit: $(STAMP)  ## the fast tests only (in-memory and in-process)
	$(BIN)/pytest tests/unit tests/http tests/console tests/test_layers.py

browser: $(STAMP)  ## the console in a real Chromium (screenshots in tests/browser/artifacts/)
	$(BIN)/pytest tests/browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
