# healthgap: the project's front door. `make report` and `make test` are all a user needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DATA ?= data
OUT ?= outputs
AS_OF ?=
WORKERS ?= $(shell $(PYTHON) -c "import os; print(max(1, len(os.sched_getaffinity(0))))" 2>/dev/null || echo 2)

.PHONY: help env report check example browser test test-fast bench clean lab strip docs

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  options: DATA=dir (default data), OUT=dir (default outputs), AS_OF=2004-06 (an edition of the national data),"
	@echo "           DEBUG=1 (show the traceback of an error)"

# The environment: a virtualenv built from the pinned lock (conda users: environment.yml).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

env: $(STAMP) ## build the environment (.venv) from requirements.lock

report: $(STAMP) ## build the briefing: outputs/briefing.html
	$(BIN)/healthgap build --data "$(DATA)" --out "$(OUT)" $(if $(AS_OF),--as-of "$(AS_OF)") $(if $(DEBUG),--debug)

check: $(STAMP) ## validate the data without building (one line per problem: file, line, column)
	$(BIN)/healthgap check --data "$(DATA)" $(if $(AS_OF),--as-of "$(AS_OF)") $(if $(DEBUG),--debug)

example: $(STAMP) ## build the three own-data examples (data/examples/) into outputs/<example>
	$(BIN)/healthgap build --data data/examples/most-deprived-fifth --out outputs/most-deprived-fifth
	$(BIN)/healthgap build --data data/examples/most-deprived-fifth-2014 --out outputs/most-deprived-fifth-2014
	$(BIN)/healthgap build --data data/examples/healthy-life-expectancy --out outputs/healthy-life-expectancy

browser: ## install Debian's chromium for the browser tests, when the machine lacks it
	@command -v chromium > /dev/null || { \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(STAMP) browser ## run every test (unit tests, the notebooks on the real data, the pages in a browser)
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope

test-fast: $(STAMP) ## the edit-test loop: skip the tests that execute notebooks, open a browser or sweep (slow)
	HEALTHGAP_TEST_FAST=1 $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope -m "not notebooks and not browser and not slow"

bench: $(STAMP) ## print speed and memory figures, each against a floor (FRESH=1 adds a fresh environment)
	$(BIN)/python bench/bench.py $(if $(FRESH),--fresh)

lab: $(STAMP) ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

strip: $(STAMP) ## remove outputs from the notebooks before committing
	$(BIN)/nbstripout notebooks/*.ipynb

clean: ## remove the environment and caches
	rm -rf $(VENV) build .pytest_cache

docs: $(STAMP) ## write docs/briefing-toml.md, the reference of every key, from the schema
	@mkdir -p docs
	$(BIN)/python -c "from healthgap.read.config import reference; print(reference(), end='')" > docs/briefing-toml.md
