# Each target creates .venv and installs the project when missing (or when pyproject.toml changed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench load load-pg fuzz schema clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Crosswalk needs Python 3.11 or newer (set PYTHON=python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/crosswalk demo

test: $(STAMP)
	$(BIN)/pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# BENCH_ARGS: script names to run only those, --timeout SECONDS per script, --strict.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

load: $(STAMP)
	$(BIN)/python bench/load.py $(LOAD_ARGS)

load-pg: $(STAMP)
	$(BIN)/python bench/load.py --postgres $(LOAD_ARGS)

fuzz: $(STAMP)
	CROSSWALK_FUZZ_EXAMPLES=500 $(BIN)/pytest -q tests/test_fuzz_graphql.py

schema: $(STAMP)
	$(BIN)/python -m schema > schema.graphql

clean:
	rm -rf $(VENV) crosswalk.db crosswalk.db-* .pytest_cache .mypy_cache .ruff_cache
