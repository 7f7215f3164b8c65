# opsdesk — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/opsdesk
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench fuzz install clean test-sqlite test-postgres

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/opsdesk migrate --no-input
	$(BIN)/opsdesk demo
	$(BIN)/opsdesk serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -n 2 opsdesk

test-postgres: $(STAMP)
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(2); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; then \
		echo "== test suite on PostgreSQL =="; \
		DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -n 2 opsdesk; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "== PostgreSQL not answering at 127.0.0.1:5432: CI needs it, failing =="; exit 1; \
	else \
		echo "== PostgreSQL not answering at 127.0.0.1:5432: skipped (CI=true makes this a failure) =="; \
	fi

test: lint test-sqlite test-postgres

bench: $(STAMP)
	@# The benches run the app's settings, which refuse to start without a secret key: a throwaway one.
	@for f in bench/*.py; do echo "== $$f =="; \
		OPSDESK_SECRET_KEY=$${OPSDESK_SECRET_KEY:-bench-only-secret-key-not-for-serving-0123456789abcdef} \
		$(BIN)/python $$f || exit 1; done

fuzz: $(STAMP)
	bash scripts/fuzz.sh

clean:
	rm -rf $(VENV) var .pytest_cache
