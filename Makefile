# healthgap: the project's front door. `make report` and `make test` are all a user needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DATA ?= data
OUT ?= outputs
AS_OF ?=

.PHONY: help env report test clean lab strip

help:
	@echo "make report [DATA=dir] [OUT=dir] [AS_OF=2004-06]  build the briefing"
	@echo "make test                                         run every test"
	@echo "make lab                                          open the notebooks in JupyterLab"

# The environment: a virtualenv built from the pinned lock (conda users: environment.yml).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

env: $(STAMP)

report: $(STAMP)
	$(BIN)/healthgap build --data "$(DATA)" --out "$(OUT)" $(if $(AS_OF),--as-of "$(AS_OF)")

test: $(STAMP)
	$(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

strip: $(STAMP)
	$(BIN)/nbstripout notebooks/*.ipynb

clean:
	rm -rf $(VENV) build .pytest_cache
