# The two commands of the README are `make run` and `make test`; everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint bench

$(BIN)/estreamer: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/estreamer

# The main job: the bundled FMC simulator and the client over mutual TLS, events on screen.
run: setup
	$(BIN)/estreamer demo

lint: setup
	$(BIN)/ruff check src tests tools bench
	$(BIN)/mypy

test: setup lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/bench_decode.py
