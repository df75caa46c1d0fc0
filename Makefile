# The two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf
PY_CLIENT := clients/python
GEN_DIR := $(PY_CLIENT)/src/inventory
PROTOS := $(wildcard protos/inventory/v1/*.proto)
GEN_STAMP := $(GEN_DIR)/.generated
VENV_STAMP := $(VENV)/.installed
IMAGE := build/inventory.binpb
# google/type, google/rpc and google/api protos ship in the googleapis-common-protos wheel: its
# root is an include path for protoc, so no registry is needed.
GOOGLEAPIS = "$$($(PY) -c 'import google.type.money_pb2 as m, pathlib; print(pathlib.Path(m.__file__).parents[2])')"

.PHONY: run test lint typecheck layers proto-lint breaking breaking-released release-contract \
	generate generate-python generate-typescript generate-go migrate bench bench-cycle clean setup tools \
	test-typescript test-go typescript-suite go-suite haproxy ha-postgres cluster cluster-ha load \
	bench-ha

setup: $(VENV_STAMP) $(GEN_STAMP)

# Both packages editable: the client (stubs, client, CLI) and the server, which depends on it.
$(VENV_STAMP): pyproject.toml $(PY_CLIENT)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '$(PY_CLIENT)[cli]' -e '.[dev]'
	touch $@

# Stubs come from the contract; they are never edited or committed. Each language has its own
# generate-LANGUAGE target; `make generate` makes them all (those whose toolchain is here).
generate: generate-python
	@$(call when_toolchain,typescript,generate-typescript)
	@$(call when_toolchain,go,generate-go)

# Python: the inventory.v1 package (with .pyi types) inside the client package's source tree.
# The client's build hook runs the same script, so `pip install ./clients/python` makes them too.
generate-python: $(GEN_STAMP)

$(GEN_STAMP): $(VENV_STAMP) $(PROTOS) $(PY_CLIENT)/stubgen.py
	# Older checkouts generated them into src/inventory, where they would shadow these.
	if [ -f src/inventory/.generated ]; then rm -rf src/inventory; fi
	$(PY) $(PY_CLIENT)/stubgen.py
	touch $@

tools: $(BUF)

$(BUF):
	npm install --silent --no-save --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)

# The contract as one image (with its imports) for buf lint, buf breaking and the clients'
# generators. google/rpc/error_details.proto rides along: clients decode error details with it.
$(IMAGE): $(GEN_STAMP) $(PROTOS)
	mkdir -p build
	$(PY) -m grpc_tools.protoc -Iprotos -I$(GOOGLEAPIS) \
		--include_imports --include_source_info -o $@ $(PROTOS) google/rpc/error_details.proto

proto-lint: $(BUF) $(IMAGE)
	$(BUF) lint $(IMAGE) --config protos/buf.yaml --path inventory

# Compares the contract with main's (or BREAKING_AGAINST, a git ref).
BREAKING_AGAINST ?= main
breaking: $(BUF) $(IMAGE)
	rm -rf build/against && mkdir -p build/against
	git archive $(BREAKING_AGAINST) protos | tar -x -C build/against
	$(PY) -m grpc_tools.protoc -Ibuild/against/protos -I$(GOOGLEAPIS) \
		--include_imports -o build/against.binpb build/against/protos/inventory/v1/*.proto
	$(BUF) breaking $(IMAGE) --against build/against.binpb --config protos/buf.yaml --path inventory

# Contract safety: the contract may not break a client built against the last release, kept
# in protos/released/ (tags need not travel with the repository). `make release-contract`
# makes the current contract the released one.
RELEASED := protos/released
RELEASED_IMAGE := build/released.binpb
$(RELEASED_IMAGE): $(VENV_STAMP) $(wildcard $(RELEASED)/inventory/v1/*.proto)
	mkdir -p build
	$(PY) -m grpc_tools.protoc -I$(RELEASED) -I$(GOOGLEAPIS) \
		--include_imports -o $@ $(RELEASED)/inventory/v1/*.proto

breaking-released: $(BUF) $(IMAGE) $(RELEASED_IMAGE)
	$(BUF) breaking $(IMAGE) --against $(RELEASED_IMAGE) --config protos/buf.yaml --path inventory

release-contract:
	@git diff --quiet HEAD -- protos/inventory || { echo "commit protos/inventory first"; exit 1; }
	rm -rf $(RELEASED)/inventory
	cp -r protos/inventory $(RELEASED)/inventory
	echo "$$(git rev-parse --short HEAD)" > $(RELEASED)/COMMIT
	@echo "protos/released/ now holds the contract of $$(cat $(RELEASED)/COMMIT): commit it (and tag the release)"

LINT_PATHS := src/inventory_service $(PY_CLIENT) tests deploy $(wildcard benchmarks)
lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: setup
	$(BIN)/mypy

# The layer contracts in pyproject.toml ([tool.importlinter]).
layers: setup
	$(BIN)/lint-imports

test: setup lint typecheck layers proto-lint breaking-released haproxy ha-postgres
	$(BIN)/pytest -m 'not bench' $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-typescript test-go

# --- Clients in other languages ---------------------------------------------------------------
# Their stubs come from the contract image through buf with local plugins (offline) and are
# never committed. Each suite calls a live server that its tests start on a free port. A
# language whose toolchain cannot be installed is skipped loudly; under CI that fails.
TOOLCHAIN := clients/toolchain.sh
# Makes target $(2) when language $(1)'s toolchain is here (or installs); else skips it loudly,
# or fails under CI.
when_toolchain = if $(TOOLCHAIN) $(1); then $(MAKE) --no-print-directory $(2); \
	elif [ -n "$$CI" ]; then exit 1; fi
SERVER_ENV := INVENTORY_SERVER=$(CURDIR)/$(BIN)/inventory-service
TS_DIR := clients/typescript
GO_DIR := clients/go
# GOPATH mode against Debian's Go libraries: clients/go is the package example.com/inventory.
GO_IMPORT := example.com/inventory
GO_PATH := $(CURDIR)/build/go
GO := GO111MODULE=off GOPATH=$(GO_PATH):/usr/share/gocode GOFLAGS= go

test-typescript:
	@$(call when_toolchain,typescript,typescript-suite)

test-go:
	@$(call when_toolchain,go,go-suite)

generate-typescript: $(BUF) $(IMAGE)
	@$(TOOLCHAIN) typescript
	rm -rf $(TS_DIR)/src/gen
	$(BUF) generate $(IMAGE) --template $(TS_DIR)/buf.gen.yaml

typescript-suite: setup generate-typescript
	cd $(TS_DIR) && npm run --silent build && $(SERVER_ENV) npm test --silent

generate-go: $(BUF) $(IMAGE)
	@$(TOOLCHAIN) go
	rm -rf $(GO_DIR)/gen
	$(BUF) generate $(IMAGE) --template $(GO_DIR)/buf.gen.yaml --path inventory
	mkdir -p $(GO_PATH)/src/$(dir $(GO_IMPORT))
	ln -sfn $(CURDIR)/$(GO_DIR) $(GO_PATH)/src/$(GO_IMPORT)

go-suite: setup generate-go
	cd $(GO_PATH)/src/$(GO_IMPORT) && test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	cd $(GO_PATH)/src/$(GO_IMPORT) && $(GO) vet ./... && $(SERVER_ENV) $(GO) test -count=1 ./...

# HAProxy from Debian's packages, for `make cluster` and its test: installed when missing and
# possible (root with apt-get); otherwise the cluster test says so and is skipped (under CI it
# fails).
APT := apt-get -y -q -o DPkg::Lock::Timeout=600
haproxy:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || \
	{ test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
	  { $(APT) install haproxy >/dev/null 2>&1 || \
	    { $(APT) update >/dev/null 2>&1 && $(APT) install haproxy >/dev/null 2>&1; }; }; } || \
	echo "!!! haproxy is not installed and could not be installed: the cluster test is skipped"

# pg_auto_failover from Debian's packages, for `make cluster-ha` and the failover test: the
# command (pg_autoctl) and the extension for the PostgreSQL that is installed (15 on Debian 12).
# Installed as haproxy is; where it cannot be, the failover test is skipped (under CI it fails).
PG_MAJOR = $$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
ha-postgres:
	@{ command -v pg_autoctl >/dev/null && \
	   ls /usr/share/postgresql/*/extension/pgautofailover.control >/dev/null 2>&1; } || \
	{ test "$$(id -u)" = 0 && command -v apt-get >/dev/null && test -n "$(PG_MAJOR)" && \
	  { $(APT) install pg-auto-failover-cli postgresql-$(PG_MAJOR)-auto-failover >/dev/null 2>&1 || \
	    { $(APT) update >/dev/null 2>&1 && \
	      $(APT) install pg-auto-failover-cli postgresql-$(PG_MAJOR)-auto-failover \
	        >/dev/null 2>&1; }; }; } || \
	echo "!!! pg_auto_failover is not installed and could not be installed: the failover test is skipped"

# Three replicas behind HAProxy on the PostgreSQL at 127.0.0.1:5432 (docs/operations.md).
CLUSTER_ARGS ?=
cluster: setup haproxy
	$(PY) -m deploy.cluster $(CLUSTER_ARGS)

# The same on PostgreSQL with automatic failover (pg_auto_failover: a monitor, a primary and a
# synchronous standby under var/ha-postgres, on free ports; docs/operations.md).
cluster-ha: setup haproxy ha-postgres
	$(PY) -m deploy.cluster --ha $(CLUSTER_ARGS)

run: setup
	$(BIN)/inventory-service serve --dev

migrate: setup
	$(BIN)/inventory-service migrate

# make bench BENCH_ARGS=--quick for a smoke run; --help lists the sizes that can be set.
BENCH_ARGS ?=
bench: setup
	$(PY) benchmarks/stream_ingest.py $(BENCH_ARGS)

# What the HA set-up costs: (3), (4), (5) on the primary of `make cluster-ha`'s PostgreSQL against
# the PostgreSQL at 127.0.0.1:5432, in one run (docs/operations.md, High availability).
bench-ha: setup ha-postgres
	$(PY) benchmarks/ha_cost.py $(BENCH_ARGS)

# Cycle-count plans at scale: 50,000 products, 5,000,000 ledger rows on the PostgreSQL at
# 127.0.0.1:5432, in a schema of its own dropped at the end (README, Performance).
CYCLE_ARGS ?=
bench-cycle: setup
	$(PY) benchmarks/cycle_plan.py $(CYCLE_ARGS)

# Mixed load against 1 worker, N workers and the three-replica cluster (README, Performance).
LOAD_ARGS ?=
load: setup haproxy
	$(PY) benchmarks/mixed_load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .tools build $(GEN_DIR) var $(GO_DIR)/gen
	rm -rf $(TS_DIR)/node_modules $(TS_DIR)/dist $(TS_DIR)/src/gen
