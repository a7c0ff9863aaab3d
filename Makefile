# Threadloom: `make run` sets up and launches the app, `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export QT_API := pyside6

.PHONY: run test lint setup clean package bench deb fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The tests also run the models that need packages beyond the standard library (gevent, uvloop, Ray);
# `make run` stays light: the app says how to install them where they are missing.
TEST_STAMP := $(VENV)/.installed-test
$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,gevent,uvloop,ray]'
	touch $(TEST_STAMP)

# The system libraries Qt loads (GL, fontconfig, the xcb helpers): installed when run as root,
# else the one apt-get line to run is printed (app/threadloom/syslibs.py holds the list).
run: $(STAMP)
	$(PY) -m threadloom.syslibs --install
	$(VENV)/bin/threadloom gui

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check app tests benchmarks
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The property-based tests, long: thousands of examples each instead of the few `make test` runs.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	THREADLOOM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider \
		--timeout 3600 tests/test_properties.py

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests benchmarks
	$(VENV)/bin/ruff format --check app tests benchmarks

bench: $(STAMP)
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

# Packaging: a PyInstaller one-folder bundle wrapped in a .deb, and the checks CI runs on it.
# docs/install.md has the details; packaging/ has the recipes (Windows and macOS too).
.PHONY: package-check
PKG_STAMP := $(VENV)/.installed-package
BUNDLE := build/dist/threadloom
DEB_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' app/threadloom/__init__.py)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB := dist/threadloom_$(DEB_VERSION)_$(DEB_ARCH).deb
PACKAGE_INPUTS := pyproject.toml $(shell find app resources packaging -type f -not -path '*/__pycache__/*' 2>/dev/null)

$(PKG_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,package]'
	touch $(PKG_STAMP)

$(DEB): $(PKG_STAMP) $(PACKAGE_INPUTS)
	rm -rf $(BUNDLE)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath build/dist --workpath build/pyinstaller packaging/threadloom.spec
	packaging/build-deb.sh $(BUNDLE) dist

package: $(DEB)

deb: package

package-check: $(DEB)
	packaging/check-deb.sh $(DEB)
