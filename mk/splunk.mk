# Splunk add-on: build, package and inspect (included by the Makefile).
#
#   make splunk-build    output/TA_estreamer/ (ucc-gen build + the core client wheel in lib/)
#   make package         dist/TA_estreamer-<version>.tar.gz (Splunkbase tarball)
#   make inspect         AppInspect (precert, cloud tags) and slim validate: 0 failures
#   make test-splunk     the add-on's tests on the unpacked tarball (as splunkd runs it, 3.9 and 3.13)
#
# Tools live in their own virtual environments with pinned versions; they never touch
# the shared dev venv. ucc-gen installs lib/ with the interpreter first on PATH, so the
# build venv (Python 3.9, Splunk 9's Python) is put first on PATH for it.

SPLUNK_APP      := TA_estreamer
SPLUNK_VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
# Splunk's two Pythons: pyenv's builds when present (its shims may not resolve), else PATH.
PYENV_ROOT      ?= $(HOME)/.pyenv
PY39            ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.9*/bin/python3.9) $(shell command -v python3.9))
PY313           ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) $(shell command -v python3.13))
PY311           ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.11*/bin/python3.11) $(shell command -v python3))
BUILD_VENV      := .venv-build
INSPECT_VENV    := .venv-inspect
SPLUNK_OUT      := output/$(SPLUNK_APP)
SPLUNK_STAMP    := output/.$(SPLUNK_APP).built
SPLUNK_TARBALL  := dist/$(SPLUNK_APP)-$(SPLUNK_VERSION).tar.gz
PIP_FOR_UCC     := 25.3

UCC_PIN         := splunk-add-on-ucc-framework==6.6.0
APPINSPECT_PIN  := splunk-appinspect==4.3.1
SLIM_PIN        := splunk-packaging-toolkit==1.2.8

.PHONY: splunk-build package inspect test-splunk splunk-clean

$(BUILD_VENV)/.done: mk/splunk.mk
	rm -rf $(BUILD_VENV)
	$(PY39) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install --quiet --upgrade pip==$(PIP_FOR_UCC)
	$(BUILD_VENV)/bin/python -m pip install --quiet $(UCC_PIN)
	touch $@

$(INSPECT_VENV)/.done: mk/splunk.mk
	rm -rf $(INSPECT_VENV)
	$(PY311) -m venv $(INSPECT_VENV)
	$(INSPECT_VENV)/bin/python -m pip install --quiet --upgrade pip==$(PIP_FOR_UCC)
	$(INSPECT_VENV)/bin/python -m pip install --quiet $(APPINSPECT_PIN) $(SLIM_PIN)
	touch $@

SPLUNK_SOURCES := globalConfig.json $(shell find package -type f -not -name '*.pyc' 2>/dev/null) \
                  $(shell find src/estreamer -type f -name '*.py' -o -type f -name '*.json' 2>/dev/null) \
                  pyproject.toml additional_packaging.py

# ucc-gen build writes output/<app>/; then the core client goes into lib/ once, as the
# wheel of this repository (no second copy of its source is kept anywhere). The wheel
# carries the native core built here for Linux x86_64 with the limited API (abi3: one
# binary for Splunk's 3.9 and 3.13; tests/splunk/test_native_addon.py checks it needs
# no glibc newer than 2.17); elsewhere the add-on runs its pure-Python decoder.
# ESTREAMER_PURE_PYTHON=1 builds the add-on without it.
$(SPLUNK_STAMP): $(BUILD_VENV)/.done $(SPLUNK_SOURCES) setup.py src/estreamer/records/_native/_core.c
	rm -rf output build/splunk-wheel build/lib.* build/temp.*
	PATH=$(CURDIR)/$(BUILD_VENV)/bin:$$PATH $(BUILD_VENV)/bin/ucc-gen build --source package \
	    --ta-version $(SPLUNK_VERSION) -o output --python-binary-name python3.9 \
	    --pip-version $(PIP_FOR_UCC)
	$(BUILD_VENV)/bin/python -m pip wheel --quiet --no-deps -w build/splunk-wheel .
	$(BUILD_VENV)/bin/python -m pip install --quiet --no-deps --no-compile \
	    --target $(SPLUNK_OUT)/lib build/splunk-wheel/fmc_estreamer-$(SPLUNK_VERSION)-*.whl
	rm -rf $(SPLUNK_OUT)/lib/bin   # the wheel's console script is of no use inside Splunk
	# nor are the command line and the test equipment (simulator, certificates, samples):
	# package/bin imports neither (tests/test_layers.py)
	rm -rf $(SPLUNK_OUT)/lib/estreamer/cli $(SPLUNK_OUT)/lib/estreamer/testing
	# AppInspect fails executable files outside bin/; dlopen needs no execute bit
	find $(SPLUNK_OUT)/lib -name '*.so' -exec chmod a-x {} +
	rm -f $(SPLUNK_OUT)/lib/fmc_estreamer-*.dist-info/direct_url.json   # a build-host path
	find $(SPLUNK_OUT) -name __pycache__ -type d -prune -exec rm -rf {} +
	touch $@

splunk-build: $(SPLUNK_STAMP)

$(SPLUNK_TARBALL): $(SPLUNK_STAMP)
	rm -rf dist/$(SPLUNK_APP)-*.tar.gz && mkdir -p dist
	PATH=$(CURDIR)/$(BUILD_VENV)/bin:$$PATH $(BUILD_VENV)/bin/ucc-gen package \
	    --path $(SPLUNK_OUT) -o dist

package: $(SPLUNK_TARBALL)
	@ls -l $(SPLUNK_TARBALL)

inspect: $(SPLUNK_TARBALL) $(INSPECT_VENV)/.done
	$(INSPECT_VENV)/bin/splunk-appinspect inspect $(SPLUNK_TARBALL) --mode precert \
	    --included-tags cloud --output-file output/appinspect.json
	$(INSPECT_VENV)/bin/python tests/splunk/appinspect_summary.py output/appinspect.json
	rm -rf output/slim && mkdir -p output/slim && tar -xzf $(SPLUNK_TARBALL) -C output/slim
	# slim 1.2.8, the newest, knows Splunk releases up to 8.0.0 only and rejects the
	# manifest's ">=9.3" as "includes no supported version": it checks a copy without
	# platformRequirements (tests/splunk/test_build.py checks the real manifest).
	$(INSPECT_VENV)/bin/python -c 'import json, sys; p = sys.argv[1]; m = json.load(open(p)); \
	    m.pop("platformRequirements"); json.dump(m, open(p, "w"), indent=4)' \
	    output/slim/$(SPLUNK_APP)/app.manifest
	$(INSPECT_VENV)/bin/slim validate output/slim/$(SPLUNK_APP)

# The tests run the add-on unpacked from the Splunkbase tarball: exactly what ships.
# `setup` (the Makefile's dev venv) is a prerequisite; SPLUNK_TEST_DEPS= drops it when
# this file is used on its own with an existing venv (make -f mk/splunk.mk BIN=...).
SPLUNK_TEST_DEPS ?= setup
BIN ?= .venv/bin

test-splunk: $(SPLUNK_TARBALL) $(SPLUNK_TEST_DEPS)
	rm -rf output/unpacked && mkdir -p output/unpacked && tar -xzf $(SPLUNK_TARBALL) -C output/unpacked
	SPLUNK_APP_DIR=$(CURDIR)/output/unpacked/$(SPLUNK_APP) SPLUNK_PYTHONS="$(PY39) $(PY313)" \
	    $(BIN)/python -m pytest tests/splunk

splunk-clean:
	rm -rf output dist build/splunk-wheel
