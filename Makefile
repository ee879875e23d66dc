# The two commands of the README are `make run` and `make test`; everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint bench bench-e2e bench-native fuzz-native

# The install builds the optional native core (setup.py) when a C compiler is present;
# the last line says whether it is in use (ESTREAMER_PURE_PYTHON=1: never built or used).
$(BIN)/estreamer: pyproject.toml setup.py src/estreamer/records/_native/_core.c
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# bytecode, as a regular pip install writes it: an editable install has none, and
	@# with PYTHONDONTWRITEBYTECODE set every command would compile its modules again
	$(BIN)/python -m compileall -q src
	@$(BIN)/python -c 'from estreamer.records import _native; print("estreamer:", _native.STATUS)'
	touch $@

setup: $(BIN)/estreamer

# The main job: the bundled FMC simulator and the client over mutual TLS, events on screen.
run: setup
	$(BIN)/estreamer demo

lint: setup
	$(BIN)/ruff check src tests tools bench package/bin
	$(BIN)/mypy

# Everything: lint, the core's tests, then the add-on's tests on the built tarball
# (Splunk's Pythons 3.9 and 3.13, see mk/splunk.mk).
test: setup lint
	$(BIN)/python -m pytest
	$(MAKE) fuzz-native
	$(MAKE) test-splunk

# The native core under AddressSanitizer on mutated records, bounded (FUZZ_SECONDS).
FUZZ_SECONDS ?= 60
fuzz-native: setup
	$(BIN)/python tools/fuzz_native.py --seconds $(FUZZ_SECONDS)

# On the realistic mix (estreamer.samples.realistic_mix): the stages per record type, then
# the figures users see: the whole `estreamer decode` process and the add-on's input
# (built first) writing XML into a pipe. bench-e2e: simulator -> TLS -> client -> files.
bench: setup
	$(BIN)/python bench/bench_protocol.py
	$(BIN)/python bench/bench_decode.py
	$(BIN)/python bench/bench_format.py
	$(BIN)/python bench/bench_cli.py
	$(MAKE) splunk-build
	$(PY313) bench/bench_xml.py
	$(BIN)/python bench/bench_addon.py

bench-e2e: setup
	$(BIN)/python bench/bench_end_to_end.py

bench-native: setup
	$(BIN)/python bench/bench_native.py

-include mk/splunk.mk
