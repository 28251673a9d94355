# mxroute: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export MXROUTE_HOME ?= $(CURDIR)/demo-data

.PHONY: run test lint format bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

HOST ?= 127.0.0.1
PORT ?= 8025

## run: create the demo data directory and an administrator (if absent), serve the panel
run: $(STAMP)
	@test -f "$(MXROUTE_HOME)/mxroute.toml" || $(BIN)/mxroute init --demo
	@$(BIN)/mxroute user list --json | grep -q '"admin": true' || { \
	  $(BIN)/mxroute user add admin --admin --generate-password && \
	  echo "Log in as 'admin' with this password (it is not shown again;" \
	       "'mxroute user passwd admin' sets a new one)."; }
	$(BIN)/mxroute domain list --mx
	$(BIN)/mxroute serve --host $(HOST) --port $(PORT)

## system-deps: the real servers the tests drive (BIND, Exim, PostgreSQL)
system-deps:
	@bash scripts/install-system-deps.sh

## test: install everything, lint, then run every test
test: $(STAMP) system-deps lint
	$(BIN)/pytest

# mypy's Django plugin loads the settings, which create a secret key in the data
# directory: point it at a throwaway one, never the operator's.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	home=$$(mktemp -d) && MXROUTE_HOME=$$home $(BIN)/mypy; rc=$$?; rm -rf "$$home"; exit $$rc

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) system-deps
	$(BIN)/python bench/run.py
	$(BIN)/python bench/scale.py --write

clean:
	rm -rf $(VENV) demo-data .pytest_cache .mypy_cache .ruff_cache
