# The course's commands. A newcomer needs two: `make lab` and `make test`.
# This file is a thin wrapper: every target runs `python -m tools.course <target>`, which
# creates .venv, installs the pins a command needs when they change, and runs it. Without
# make (Windows), type the same command: `python -m tools.course lab`.
#
#   make test JOBS=1 PYTEST_ARGS="-x -k mm"     make outputs NB=notebooks/03_....ipynb
#   make lab PORT=8890                          make lab PYTHON=python3.11

PYTHON ?= python3
COURSE := $(PYTHON) -m tools.course
# JOBS, PYTEST_ARGS, NB and PORT given on the command line reach tools.course as environment
# variables (make exports command-line variables).

TARGETS := setup lab test unit notebooks outputs nav bench book hub assignments constraints clean

.PHONY: help $(TARGETS)

help:
	@$(COURSE) --help

$(TARGETS):
	@$(COURSE) $@
