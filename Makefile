# The two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf
PY_CLIENT := clients/python
PY_STUBS := $(PY_CLIENT)/src/inventory
PROTOS := $(wildcard protos/inventory/v1/*.proto)
PY_STUBS_STAMP := $(PY_STUBS)/.generated
VENV_STAMP := $(VENV)/.installed
IMAGE := build/inventory.binpb

.PHONY: run test lint typecheck proto-lint breaking generate generate-python migrate bench clean setup tools

setup: $(VENV_STAMP) $(PY_STUBS_STAMP)

# Both packages editable: the client (stubs, client, CLI) and the server, which depends on it.
$(VENV_STAMP): pyproject.toml $(PY_CLIENT)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '$(PY_CLIENT)[cli]' -e '.[dev]'
	touch $@

# Stubs come from the contract; they are never edited or committed. Each language has its own
# generate-LANGUAGE target; `make generate` makes them all.
generate: generate-python

# Python: the inventory.v1 package (with .pyi types) inside the client package's source tree.
# The client's build hook runs the same script, so `pip install ./clients/python` makes them too.
generate-python: $(PY_STUBS_STAMP)

$(PY_STUBS_STAMP): $(VENV_STAMP) $(PROTOS) $(PY_CLIENT)/stubgen.py
	$(PY) $(PY_CLIENT)/stubgen.py
	touch $@

tools: $(BUF)

$(BUF):
	npm install --silent --no-save --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)

$(IMAGE): $(PY_STUBS_STAMP) $(PROTOS)
	mkdir -p build
	$(PY) -m grpc_tools.protoc -Iprotos -I"$$($(PY) -c 'import google.type.money_pb2 as m, pathlib; print(pathlib.Path(m.__file__).parents[2])')" \
		--include_imports --include_source_info -o $@ $(PROTOS)

proto-lint: $(BUF) $(IMAGE)
	$(BUF) lint $(IMAGE) --config protos/buf.yaml --path inventory

# Compares the contract with main's (or BREAKING_AGAINST, a git ref).
BREAKING_AGAINST ?= main
breaking: $(BUF) $(IMAGE)
	rm -rf build/against && mkdir -p build/against
	git archive $(BREAKING_AGAINST) protos | tar -x -C build/against
	$(PY) -m grpc_tools.protoc -Ibuild/against/protos -I"$$($(PY) -c 'import google.type.money_pb2 as m, pathlib; print(pathlib.Path(m.__file__).parents[2])')" \
		--include_imports -o build/against.binpb build/against/protos/inventory/v1/*.proto
	$(BUF) breaking $(IMAGE) --against build/against.binpb --config protos/buf.yaml --path inventory

LINT_PATHS := src/inventory_service $(PY_CLIENT) tests $(wildcard benchmarks)
lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: setup
	$(BIN)/mypy

test: setup lint typecheck proto-lint
	$(BIN)/pytest -m 'not bench' $(PYTEST_ARGS)

run: setup
	$(BIN)/inventory-service serve --dev

migrate: setup
	$(BIN)/inventory-service migrate

bench: setup
	$(PY) benchmarks/stream_ingest.py

clean:
	rm -rf $(VENV) .tools build $(PY_STUBS) var
