# Levante developer commands. `make dev` and `make test` work on a fresh clone (they create .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev frontend test lint bench install clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The whole local stack: moto, API (chalice local), scheduler, workers and the dashboard.
dev: $(STAMP) frontend
	$(BIN)/levante dev --dags-folder dags

# Builds the dashboard when its sources are present; needs Node 20+ (one line says so if missing).
frontend:
	@if [ -f frontend/package.json ]; then \
		command -v npm >/dev/null 2>&1 || { echo "make dev: Node.js 20+ and npm are needed to build the dashboard (apt-get install nodejs npm, or nvm)"; exit 1; }; \
		if [ ! -d frontend/node_modules ]; then (cd frontend && npm ci --no-audit --no-fund); fi; \
		if [ ! -f frontend/dist/index.html ] || [ -n "$$(find frontend/src frontend/index.html -newer frontend/dist/index.html 2>/dev/null | head -1)" ]; then (cd frontend && npm run build); fi; \
	fi

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	@if [ -d frontend/node_modules ]; then cd frontend && npm test --silent; else echo "frontend unit tests skipped: run 'make frontend' first (needs Node 20+)"; fi
	$(BIN)/python -m pytest -q -n 2 --durations=20

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
