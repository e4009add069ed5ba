# The two commands a fresh machine needs (Python 3.10+, pip and make):
#   make lab    set up .venv and start JupyterLab on the notebooks
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: lab test install

install: $(INSTALLED)

# Reinstall when the project's metadata changes; helpers is installed editable, so code changes
# need no reinstall.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

lab: $(INSTALLED)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

test: $(INSTALLED)
	$(PY) -m pytest
