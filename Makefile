# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= diagnostic-lozere

.PHONY: install demo test lint bench clean

$(BIN)/proximite: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(BIN)/proximite

install: $(BIN)/proximite

demo: install
	$(BIN)/proximite diagnostic --out $(OUT)

test: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_nearest.py

clean:
	rm -rf $(VENV) $(OUT)
