# The two commands of the README: `make demo` and `make test`.
# Each creates the virtual environment (.venv) on first use and installs the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean lock

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "encours needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/encours db upgrade
	$(BIN)/encours demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The versions the tests passed with, which the Dockerfile installs: refresh after `make test`.
lock: $(STAMP)
	echo "# The versions \`make test\` passed with (pip freeze of the project's venv): \`make lock\` refreshes it." > requirements.lock
	echo "# Install with it as constraints: pip install -c requirements.lock '.[api]'" >> requirements.lock
	$(BIN)/python -m pip freeze --exclude-editable >> requirements.lock

clean:
	rm -rf $(VENV) demo-data encours.db models/mlflow.db models/artifacts
