# Two commands matter: `make run` (set up, index the built-in example, serve) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE_INDEX := index/example

.PHONY: setup run index-example test lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -e '.[model,dev]'
	touch $@

setup: $(VENV)/.installed

index-example: setup
	$(BIN)/qa index examples --index-dir $(EXAMPLE_INDEX)

run: index-example
	$(BIN)/qa serve --index-dir $(EXAMPLE_INDEX)

lint: setup
	$(BIN)/ruff check qa tests bench eval train app.py

test: setup lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) $(EXAMPLE_INDEX)
