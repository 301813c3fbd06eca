# The two commands a newcomer needs: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3978

.PHONY: run test lint migrate package clean e2e cards bench bench-quick bench-sweep

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run --demo

# Microsoft's own judges of our cards and manifest run in Node; without npm those tests skip (fail under CI=true).
CHECKS := tests/cards
$(CHECKS)/node_modules/.installed: $(CHECKS)/package.json $(CHECKS)/package-lock.json
	@if command -v npm >/dev/null; then \
		cd $(CHECKS) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm is not installed: the official card and manifest checks will be skipped"; fi

test: $(STAMP) $(CHECKS)/node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every card the bot can send, with sample data, in build/cards/ (checked by make test; open them in any card viewer).
cards: $(STAMP)
	$(BIN)/python -m bot cards --output build/cards

# End to end in Microsoft 365 Agents Playground, driven in Debian's Chromium (never a browser download).
PLAYGROUND := tests/playground
$(PLAYGROUND)/node_modules/.installed: $(PLAYGROUND)/package.json $(PLAYGROUND)/package-lock.json
	cd $(PLAYGROUND) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

e2e: $(STAMP) $(PLAYGROUND)/node_modules/.installed
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) sh -c 'apt-get update -qq && apt-get install -y -qq chromium >/dev/null'; }
	cd $(PLAYGROUND) && node --test --test-concurrency=1 harness.test.mjs scenarios.test.mjs

# Benchmarks run on demand, never in make test; see BENCHMARKS.md. bench writes benchmarks/results/latest.json
# and the table in BENCHMARKS.md; bench-quick runs each at a tenth of the size and writes results/quick.json.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

bench-sweep: $(STAMP)
	$(BIN)/python -m benchmarks.sweep

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

package: $(STAMP)
	$(BIN)/python -m bot package

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache
