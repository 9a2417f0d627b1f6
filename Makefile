# Two entry points for a fresh machine: `make serve` and `make test` (see README).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
# `make serve PORT=8080 HOST=0.0.0.0`; unset, the CASETRAIL_PORT / CASETRAIL_HOST settings (default 127.0.0.1:8000).
PORT ?=
HOST ?=
# The Python versions `make versions` installs and imports on, where present.
VERSIONS ?= python3.11 python3.12 python3.13

.PHONY: serve test lint typecheck unit browser demo bench versions lock clean

# Ranges live in pyproject.toml; requirements.lock pins the versions the tests ran with (`make lock` renews it).
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

serve: $(STAMP)  ## set up, then run the API on SQLite (./casetrail.db)
	$(BIN)/casetrail serve $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

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

versions:  ## install casetrail (locked) into a fresh venv per Python version present, import it, run --version
	@for name in $(VERSIONS); do \
	  py=$$name; $$py -c pass >/dev/null 2>&1 || \
	    py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$${name#python}*/bin/$$name 2>/dev/null | tail -1); \
	  if [ -z "$$py" ] || ! $$py -c pass >/dev/null 2>&1; then echo "$$name: not present, skipped"; continue; fi; \
	  dir=$$(mktemp -d) && $$py -m venv $$dir && \
	  $$dir/bin/python -m pip install --quiet -c requirements.lock . && \
	  (cd $$dir && bin/python -c "import api.app, api.cli, infrastructure.container") && \
	  $$dir/bin/casetrail --version && echo "$$name: ok" || { echo "$$name: FAILED"; rm -rf $$dir; exit 1; }; \
	  rm -rf $$dir; \
	done

lock: $(STAMP)  ## re-pin requirements.lock to what the virtualenv holds now
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^casetrail' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
