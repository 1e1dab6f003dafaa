# Portico: `make run` serves the portal with demo data; `make test` runs every check and test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
FE_STAMP := frontend/node_modules/.installed
FE_BUILD := frontend/dist/index.html
# The build generates src/gql/ from schema.graphql (GraphQL Code Generator) first, so a schema change rebuilds.
FE_SOURCES := $(shell find frontend/src -type f -not -path 'frontend/src/gql/*' 2>/dev/null) \
	frontend/index.html frontend/graphiql.html frontend/vite.config.ts frontend/codegen.ts \
	frontend/tsconfig.json frontend/tsconfig.node.json schema.graphql

export PORTAL_HOST ?= 127.0.0.1
export PORTAL_PORT ?= 8000

.PHONY: install run test lint frontend-test bench clean

install: $(PY_STAMP) $(FE_BUILD)

$(PY_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(FE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(FE_BUILD): $(FE_STAMP) $(FE_SOURCES)
	cd frontend && npm run --silent build

run: install
	$(BIN)/portal migrate
	$(BIN)/portal demo
	@echo "Portal:   http://$(PORTAL_HOST):$(PORTAL_PORT)/"
	@echo "GraphiQL: http://$(PORTAL_HOST):$(PORTAL_PORT)/graphql"
	$(BIN)/portal serve

lint: $(PY_STAMP)
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Type-checks the frontend (documents against schema.graphql, src/ and e2e/) and runs its vitest unit
# tests; the Playwright end-to-end suite runs inside pytest (tests/e2e/test_server.py).
frontend-test: $(FE_STAMP)
	cd frontend && npm run --silent typecheck && npm run --silent test

test: install lint frontend-test
	bash scripts/test.sh

bench: install
	$(BIN)/pip install -q -r bench/requirements.txt
	$(BIN)/python bench/bench_dataplane.py
	$(BIN)/python bench/bench_keys.py
	$(BIN)/python bench/bench_logs.py
	$(BIN)/python bench/bench_log_copy.py
	$(BIN)/python bench/bench_webhooks.py
	$(BIN)/python bench/bench_publish.py
	$(BIN)/python bench/bench_advice_cost.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist frontend/src/gql frontend/test-results .portal \
		.grimp_cache .import_linter_cache
