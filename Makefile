# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-postgres bench bench-quick clean

$(STAMP): setup.cfg pyproject.toml scripts/system-deps
	scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

## run: set up, create the SQLite schema, add demo data (first time), then web on :8000 and the
## scheduler (e-mails, PDFs, reminders) together under `bnpl run`; Ctrl-C stops both
run: $(STAMP)
	$(BIN)/bnpl init-db
	$(BIN)/bnpl demo --if-empty
	$(BIN)/bnpl run --host 127.0.0.1 --port 8000

## test: set up and run the whole suite (SQLite; BNPL_TEST_DATABASE_URL for PostgreSQL)
test: $(STAMP)
	scripts/axe-core
	$(BIN)/pytest

test-postgres: $(STAMP)
	scripts/axe-core
	BNPL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/api_flow.py

## bench-quick: every benchmark as a smoke run of seconds, no targets (CI); each wipes its own
## database (bench, bench_camt, bench_dunning, bench_risk_quick), never `test`
bench-quick: $(STAMP)
	$(BIN)/python bench/api_flow.py --quick
	$(BIN)/python bench/camt_import.py --quick
	$(BIN)/python bench/dunning_run.py --quick
	$(BIN)/python bench/pdf.py --quick
	$(BIN)/python bench/risk_sim.py --quick

clean:
	rm -rf $(VENV) instance .pytest_cache
