# pixelgrad — all set-up happens here. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TV_VENV ?= .venv-tv
TV_PY  := $(TV_VENV)/bin/python
# torch must come first and exactly as this pin: any other spec pulls a multi-GB CUDA build here.
TORCH_PIN    ?= torch==2.13.0
TV_PINS      ?= torch==2.14.1 torchvision==0.29.1
PYTEST_ARGS  ?=

.PHONY: demo test test-main test-interop typecheck docs bench clean chromium robustness

$(VENV)/.base:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q $(TORCH_PIN)
	touch $@

$(VENV)/.runtime: $(VENV)/.base pyproject.toml
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(VENV)/bin/pip install -q -e '.[dev,docs]'
	touch $@

# Second venv for the optional torchvision / fastai adapters (built once, then reused).
$(TV_VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(TV_VENV)
	$(TV_VENV)/bin/pip install -q $(TV_PINS)
	$(TV_VENV)/bin/pip install -q fastai pytest hypothesis scipy
	$(TV_VENV)/bin/pip install -q -e .
	touch $@

demo: $(VENV)/.runtime
	$(VENV)/bin/pixelgrad demo

test: test-main test-interop typecheck docs

# headless browser for the gallery test (Debian's chromium), installed only when absent
chromium:
	command -v chromium || (apt-get update && apt-get install -y chromium)

# tests/interop needs torchvision/fastai: it runs for real in $(TV_VENV) below, not as skips here
test-main: $(VENV)/.dev chromium
	$(PY) -m pytest -q -n 2 -m "not interop" --ignore=tests/interop --doctest-modules src tests $(PYTEST_ARGS)

test-interop: $(TV_VENV)/.ready
	$(TV_PY) -m pytest -q -m interop tests/interop $(PYTEST_ARGS)

# static type check of the package (configuration: [tool.mypy] in pyproject.toml)
typecheck: $(VENV)/.dev
	$(PY) -m mypy

# the documentation site -> site/ (API reference from the docstrings, gallery drawn by
# pixelgrad.viz.gallery); --strict turns every warning (broken link, bad reference) into an error
docs: $(VENV)/.dev
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

bench: $(VENV)/.dev
	$(VENV)/bin/pixelgrad bench

# the augmentation-robustness experiment behind docs/robustness.md (CPU; about 20 min on two
# idle cores). Faster look: make robustness ROBUSTNESS_ARGS=--quick (writes ./robustness-out)
ROBUSTNESS_ARGS ?=
robustness: $(VENV)/.runtime
	$(PY) experiments/robustness.py $(ROBUSTNESS_ARGS)

clean:
	rm -rf $(VENV) $(TV_VENV) pixelgrad-demo .pytest_cache .mypy_cache site
