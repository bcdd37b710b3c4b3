# The course's commands. A newcomer needs two: `make lab` and `make test`.
# Everything runs from .venv, which `setup` creates and keeps in step with the pins.

SHELL   := /bin/bash
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.course-installed
JOBS    ?= 2
NBVAL   := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help setup lab test unit notebooks outputs nav bench book constraints clean

help:
	@echo "make lab      set up (first time only) and open JupyterLab at the first notebook"
	@echo "make test     set up, then run every test (unit, notebooks in strict nbval, browser)"
	@echo "make outputs  re-execute every notebook top to bottom in a fresh kernel (the only way outputs change);"
	@echo "             NB=notebooks/01_....ipynb for just one"
	@echo "make nav      rewrite the notebooks' previous/contents/next links and the README course map"
	@echo "make bench    run the performance benchmarks and print a markdown table"
	@echo "make book     build the static HTML edition into site/ (needs npm once, for three scripts)"

# --- setup: a virtual environment, re-installed only when the pins change ----------
$(PY):
	@$(PYTHON) -m tools.check_python
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt constraints.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m tools.check_setup
	@touch $@

setup: $(STAMP)

# Progress bars are for learners in JupyterLab (make lab); never in committed or tested outputs.
test unit notebooks outputs bench: export COURSE_PROGRESS = 0

# --- the two commands -----------------------------------------------------------------
lab: setup
	$(PY) -m tools.lab

test: setup
	$(PY) -m pytest -n $(JOBS) --dist loadscope $(NBVAL) $(PYTEST_ARGS)

# --- for authors ------------------------------------------------------------------------
unit: setup
	$(PY) -m pytest tests $(PYTEST_ARGS)

notebooks: setup
	$(PY) -m pytest -n $(JOBS) --dist loadscope $(NBVAL) notebooks $(PYTEST_ARGS)

outputs: setup
	$(PY) -m tools.nav $(NB)
	$(PY) -m tools.run_notebooks $(NB)

nav: setup
	$(PY) -m tools.nav

bench: setup
	$(PY) -m benchmarks.run_all

book: setup
	$(PY) -m tools.book

constraints: setup
	( echo "# Every package the course installs, pinned to the versions it was tested with"; \
	  echo "# (pip freeze of .venv, less torch, which requirements.txt pins). Regenerate with"; \
	  echo "# make constraints."; \
	  $(PY) -m pip freeze --exclude-editable | grep -v -i -E '^torch==' ) > constraints.txt

clean:
	rm -rf $(VENV) artifacts site build .pytest_cache
