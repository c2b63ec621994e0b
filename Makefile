# Levante developer commands. `make dev` and `make test` work on a fresh clone (they create .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint bench install clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Until the local stack lands, `make dev` runs every example DAG once in-process (see README).
dev: $(STAMP)
	$(BIN)/levante dags list --dags-folder dags
	@for d in $$($(BIN)/levante dags list --dags-folder dags --output json | $(BIN)/python -c 'import json,sys; print(" ".join(d["dag_id"] for d in json.load(sys.stdin)["dags"]))'); do \
		$(BIN)/levante dags test $$d --dags-folder dags --no-retry-wait --quiet || true; \
	done

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
