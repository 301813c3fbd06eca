# The two commands a newcomer needs: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3978

.PHONY: run test lint migrate package clean e2e

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run --demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# End to end in Microsoft 365 Agents Playground, driven in Debian's Chromium (never a browser download).
PLAYGROUND := tests/playground
$(PLAYGROUND)/node_modules/.installed: $(PLAYGROUND)/package.json $(PLAYGROUND)/package-lock.json
	cd $(PLAYGROUND) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

e2e: $(STAMP) $(PLAYGROUND)/node_modules/.installed
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) sh -c 'apt-get update -qq && apt-get install -y -qq chromium >/dev/null'; }
	cd $(PLAYGROUND) && node --test --test-concurrency=1 harness.test.mjs scenarios.test.mjs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

package: $(STAMP)
	$(BIN)/python -m bot package

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache
