# Hall Queue. `make demo` runs the demo hall; `make test` runs everything CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help setup demo test lint bench clean distclean

help:
	@echo "make demo       set up, then run the demo hall on SQLite (http://127.0.0.1:8000)"
	@echo "make test       set up (Chromium, PostgreSQL, Redis, ...), lint and run the whole suite"
	@echo "make lint       ruff + mypy"
	@echo "make bench      core benchmark (hallq bench core)"
	@echo "make clean      remove caches, build output and test artefacts"
	@echo "make distclean  clean, and also remove .venv, node_modules and the generated voice pack"

setup:
	bash scripts/setup.sh

demo: setup
	$(BIN)/hallq demo

test:
	bash scripts/test.sh $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy server drivers

bench: setup
	$(BIN)/hallq bench core

clean:
	rm -rf build dist *.egg-info artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .venv-tts node_modules display/voice/packs/default
