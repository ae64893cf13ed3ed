# Two entry points for a fresh machine (Python >= 3.11 with venv, and make):
#   make demo   start Tidings with demo data on SQLite, in one process tree, on port 8000
#               (another port: make demo PORT=9000)
#   make test   run the test suite (SQLite; set TIDINGS_DATABASE_URL for PostgreSQL)
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 8000

.PHONY: demo test check install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/tidings up --demo --port $(PORT)

test: $(BIN)/.installed
	$(BIN)/pytest -n 2 -p no:cacheprovider

check: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	bash scripts/check_messages.sh

clean:
	rm -rf $(VENV) var
