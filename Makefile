# Quickstart (see README.md):
#   make run      set up, then validate the corpus, build the database and print the counts
#   make test     set up, then run the tests and both validators
#   make serve    set up, then browse and search the corpus at http://127.0.0.1:8001/
#   make pythons  install and validate with every supported Python found (3.11, 3.12, 3.13)
# Any supported Python works: make test PYTHON=python3.13. A .venv made by another Python
# is re-created (the interpreter is recorded in .venv/.installed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# The interpreter that makes the venv: its version and installation prefix.
PYTHON_ID = $(shell $(PYTHON) -c 'import platform, sys; print(platform.python_version(), sys.base_prefix)')

.PHONY: run test setup venv-matches validate build stats dictionary cookbook serve pythons clean

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

setup: venv-matches
	@$(MAKE) --no-print-directory $(VENV)/.installed PYTHON="$(PYTHON)"

# Remove a .venv made by another Python (or whose interpreter no longer runs).
venv-matches:
	@want="$(PYTHON_ID)"; \
	if [ -z "$$want" ]; then echo "make: $(PYTHON) does not run; set PYTHON=python3.11 (or 3.12, 3.13)" >&2; exit 2; fi; \
	if [ -d $(VENV) ]; then \
	  have="$$(cat $(VENV)/.installed 2>/dev/null)"; \
	  if [ "$$have" != "$$want" ] || ! $(BIN)/python -c '' 2>/dev/null; then \
	    echo "make: $(VENV) was made by another Python ($${have:-unknown}); re-creating it with $$want"; \
	    rm -rf $(VENV); \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	echo "$(PYTHON_ID)" > $@

validate build stats: setup
	$(BIN)/bizenv $@

dictionary: setup
	$(BIN)/bizenv dictionary

cookbook: setup
	$(BIN)/bizenv cookbook

serve: setup
	$(BIN)/bizenv serve $(if $(PORT),--port $(PORT))

pythons:
	scripts/pythons.sh

clean:
	rm -rf build dist $(VENV)
