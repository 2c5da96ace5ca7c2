# The two set-up commands of the README. Both are idempotent.
#   make demo  - virtual environment, install mcuai, analyze/generate/validate the example model
#   make test  - everything the tests need, then lint, type-check and the whole test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.mcuai-installed
MODEL  := examples/digits_cnn_int8.tflite

.PHONY: demo test lint typecheck toolchain clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,tflm]'
	touch $@

DATA   := examples/digits_test.npz

demo: $(STAMP)
	$(VENV)/bin/mcuai analyze -m $(MODEL)
	$(VENV)/bin/mcuai generate -m $(MODEL) -o demo_out/digits --name digits
	$(VENV)/bin/mcuai validate -m $(MODEL) -vi $(DATA) -vo $(DATA)

toolchain:
	@sh scripts/ensure_toolchain.sh

lint: $(STAMP)
	$(PY) -m ruff check src tests scripts
	$(PY) -m ruff format --check src tests scripts

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) toolchain lint typecheck
	$(PY) -m pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
