# deblurkit: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deblurkit-installed
PYTEST_ARGS ?= -q

.PHONY: install test demo clean-demo

install: $(STAMP)

# Re-installs when setup.py or the requirements change.
$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[tests]'
	touch $(STAMP)

# Leaves the checkout as it was: no .pytest_cache, no __pycache__ (the
# tests themselves write only to temporary folders; tests/conftest.py
# fails a test that writes into the checkout).
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE=1 $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS) tests

demo: $(STAMP)
	$(PY) tools/demo.py --work-dir work_dirs/demo --data-root data/demo

clean-demo:
	rm -rf work_dirs/demo data/demo
