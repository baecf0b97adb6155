# gridgov: make demo | make test | make bench | make lint | make help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
GRIDGOV := $(VENV)/bin/gridgov
PORT ?= 8000
export PORT

.DEFAULT_GOAL := help

.PHONY: help install demo serve test test-fast bench lint format messages clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	@if [ ! -x $(PY) ]; then py=$$(scripts/find-python.sh) || exit 1; echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed ## create .venv and install the locked dependencies

demo: install ## set up the demo county and serve it on http://127.0.0.1:$PORT
	$(GRIDGOV) migrate --noinput
	$(GRIDGOV) collectstatic --noinput --verbosity 0
	$(GRIDGOV) load_demo
	@scripts/serve.sh

serve: install ## serve without (re)loading the demo
	@scripts/serve.sh

# Test processes for everything but the browser tests (pytest-xdist); 0 runs them in this process.
TEST_JOBS ?= 2

test: install ## run the whole test suite (DATABASE_URL selects the database)
	$(PY) -m pytest -m "not e2e" -n $(TEST_JOBS) $(PYTEST_ARGS)
	@# then the browser tests, one at a time (one live server, one Chromium); "no tests ran" (5) is not a failure
	$(PY) -m pytest -m e2e $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-fast: install ## the suite without the browser tests
	$(PY) -m pytest -m "not e2e" -n $(TEST_JOBS) $(PYTEST_ARGS)

bench: install ## run the benchmarks, each with its reference
	$(PY) -m bench $(BENCH_ARGS)

lint: install ## ruff check, ruff format --check, makemigrations --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(GRIDGOV) makemigrations --check --dry-run

messages: install ## collect and compile an English catalogue: make messages [APP=tips]
	@scripts/messages.sh $(APP)

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache
