# The two set-up commands: `make quickstart` and `make test`. Both create .venv from uv.lock first.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.lakebox-synced
PYTEST_ARGS ?=
# lakebox's own modules get their bytecode cached too, even where the shell says not to write it.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: quickstart test test-fast lint format lock clean java postgres

$(STAMP): pyproject.toml uv.lock scripts/bootstrap.sh
	@scripts/bootstrap.sh
	@touch $(STAMP)

java:
	@scripts/ensure-java.sh

postgres:
	@scripts/ensure-postgres.sh

quickstart: $(STAMP) java
	@$(VENV)/bin/python examples/quickstart.py

test: $(STAMP) java postgres lint
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	@$(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check src tests examples benchmarks
	@$(VENV)/bin/ruff format --check src tests examples benchmarks
	@$(VENV)/bin/mypy
	@$(VENV)/bin/lint-imports --no-cache
	@site=$$(mktemp -d) && $(VENV)/bin/mkdocs build --strict --quiet --site-dir "$$site"; status=$$?; rm -rf "$$site"; exit $$status

format: $(STAMP)
	@$(VENV)/bin/ruff check --fix src tests examples benchmarks
	@$(VENV)/bin/ruff format src tests examples benchmarks

lock: $(STAMP)
	@$(VENV)/bin/uv lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
