# Two entry points, each sets itself up from scratch on a fresh clone:
#   make serve   install into .venv and run Agora on ./agora-data with the demo catalog
#   make test    install into .venv (with test extras) and run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: serve test setup lint bench

$(BIN)/agora: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/agora

setup: $(BIN)/agora

serve: setup
	$(BIN)/agora serve --port $(PORT)

test: setup
	$(BIN)/ruff check kg api tests bench
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: setup
	$(BIN)/ruff check kg api tests bench
