# Quickstart (see README.md):
#   make run    set up, then validate the corpus, build the database and print the counts
#   make test   set up, then run the tests and both validators
#   make serve  set up, then browse and search the corpus at http://127.0.0.1:8001/
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test setup validate build stats dictionary cookbook serve clean

run: setup
	$(BIN)/bizenv validate
	$(BIN)/bizenv build
	$(BIN)/bizenv stats

test: setup
	$(BIN)/python -m pytest
	$(BIN)/frictionless validate datapackage.json
	$(BIN)/bizenv validate --expectations
	$(BIN)/bizenv dictionary --check
	$(BIN)/bizenv expectations --check
	$(BIN)/bizenv cookbook --check

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

validate build stats: setup
	$(BIN)/bizenv $@

dictionary: setup
	$(BIN)/bizenv dictionary

cookbook: setup
	$(BIN)/bizenv cookbook

serve: setup
	$(BIN)/bizenv serve $(if $(PORT),--port $(PORT))

clean:
	rm -rf build dist $(VENV)
