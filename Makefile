# One entry point for humans and CI. `make help` lists the targets.
# Every target installs what it needs first (idempotently), so a fresh clone
# on a new machine needs only `make test` or `make demo`.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export CARGO_TERM_COLOR ?= never
# One target/ for every build, bindings included, so nothing compiles twice.
export CARGO_TARGET_DIR ?= $(CURDIR)/target

.PHONY: help setup setup-deny test test-rust test-snippets test-fleet lint demo bench dist dist-test publish-check fixtures generate fuzz timing conformance clean

# Each binding adds its own targets in bindings-*/*.mk and appends them to
# these lists, so this file never needs editing for a new binding.
TEST_TARGETS :=
DEMO_TARGETS :=
DIST_TARGETS :=
BENCH_TARGETS :=
SETUP_TARGETS :=
# Languages the cross-language conformance run compares with Rust, and what
# must be built first (each binding's .mk appends both).
CONFORMANCE_LANGUAGES :=
CONFORMANCE_PREREQS :=
-include $(sort $(wildcard bindings-*/*.mk))
# The CLI's wheel and npm packages (after the bindings: it uses their venv).
-include cli/dist.mk
# The setup helpers themselves (scripts/apt-install.sh, with stubs: nothing installed).
TEST_TARGETS += test-setup
.PHONY: test-setup
test-setup: ## Setup scripts: apt-get as root or through sudo, update only after a failed install (stubbed)
	node --test --test-reporter=spec tests/setup/

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

setup: ## Install the toolchain pieces the project needs (idempotent)
	@scripts/setup.sh
	@$(if $(SETUP_TARGETS),$(MAKE) --no-print-directory $(SETUP_TARGETS))

test: setup lint test-rust $(TEST_TARGETS) test-snippets test-fleet ## Run every test suite (what CI runs)
	@scripts/check-fixtures.sh
	@python3 tests/conformance/compare.py rust $(CONFORMANCE_LANGUAGES)
	@FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) scripts/fuzz.sh
	@demo/run.sh

test-rust: setup ## Rust: unit, vector, property and doc tests
	cargo test --workspace --all-targets
	cargo test --workspace --doc
	cargo test -p bullseye-webhooks --features http # the http adapters and the root README snippets
	cargo test -p bullseye-webhooks-axum --features tracing,redis --all-targets # the tracing (OpenTelemetry) and Redis tests of the axum/tower integration

# The CLI binary the doc-snippet tests send with.
SNIPPETS_CLI := $(CARGO_TARGET_DIR)/release/bullseye-webhooks

test-snippets: build-python build-node ## Bullseye's own Node/Python verify snippets vs sign, the CLI's send, and verify
	cargo build --release -p bullseye-webhooks-cli
	BULLSEYE_CLI="$(SNIPPETS_CLI)" $(PY) -m pytest tests/snippets -q -rs -p no:cacheprovider
	BULLSEYE_CLI="$(SNIPPETS_CLI)" node --test --test-reporter=spec tests/snippets/

# Issue 13's fleet test: figures printed as one JSON line per run.
test-fleet: build-python build-node ## De-dup across processes: 3 Python + 1 Node receivers on one Redis (also killed and restarted partway), SQLite across 4 workers, memory in one
	$(PY) tests/fleet/fleet.py --store redis
	$(PY) tests/fleet/fleet.py --store redis --kill-redis-at 0.3
	$(PY) tests/fleet/fleet.py --store redis --pause-redis-at 0.3 --redis-pause 2 --store-timeout 1 --lease 60 # paused past the timeout: late claims are released
	$(PY) tests/fleet/fleet.py --store sqlite --python-receivers 4 --node-receivers 0
	$(PY) tests/fleet/fleet.py --store memory --python-receivers 1 --node-receivers 0
	$(PY) tests/fleet/fleet.py --store none --control --python-receivers 2 --node-receivers 0 --deliveries 300
	$(PY) tests/fleet/queue_mixed.py  # the queue hand-off: Python and Node workers on one stream, one of each killed mid-message
	$(PY) tests/fleet/queue_fleet.py --kill-redis-at 0.3  # 2,000 x 3 through queue receivers (2 Python, 1 Node) to 4 workers, one killed mid-message, Redis killed and restarted
	$(PY) tests/fleet/queue_fleet.py --queue celery --kill-redis-at 0.3  # the same through CeleryQueue (3 Python receivers) to 4 Celery worker processes
	$(PY) tests/fleet/queue_fleet.py --queue bullmq --kill-redis-at 0.3  # the same through BullmqQueue (3 Node receivers) to 4 BullMQ worker processes

# cargo-deny, pinned, under target/tools as wasm-bindgen-cli is (about 7 min
# to build once); deny.toml says what it checks.
CARGO_DENY_VERSION := 0.20.2
CARGO_DENY := $(CARGO_TARGET_DIR)/tools/bin/cargo-deny

setup-deny: ## Install cargo-deny $(CARGO_DENY_VERSION) under $(CARGO_TARGET_DIR)/tools (idempotent)
	@"$(CARGO_DENY)" --version 2>/dev/null | grep -qx "cargo-deny $(CARGO_DENY_VERSION)" \
	  || cargo install --quiet cargo-deny --version $(CARGO_DENY_VERSION) --locked --root "$(CARGO_TARGET_DIR)/tools" --force

lint: setup setup-deny ## rustfmt check, clippy -D warnings, actionlint on .github/workflows, one version everywhere, cargo deny (licences, bans, sources), licences in every crate
	python3 scripts/check-versions.py
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PY_VENV)/bin/actionlint
	cargo fetch --quiet # every platform's crates, which cargo deny reads offline
	"$(CARGO_DENY)" --offline check licenses bans sources
	scripts/check-crate-licences.sh

demo: setup $(DEMO_TARGETS) ## Real receivers on 127.0.0.1 answer signed, tampered and unsigned deliveries
	@demo/run.sh

bench: setup $(CONFORMANCE_PREREQS) ## Every language's benchmarks vs its peers, as ratios; writes bench/RESULTS.md
	@scripts/bench.sh "$(BENCH_TARGETS)" "$(CONFORMANCE_LANGUAGES)"

dist: setup ## Build the installable packages into dist/
	@mkdir -p dist
	cargo package --allow-dirty --no-verify -p bullseye-webhooks -p bullseye-webhooks-partner \
	  -p bullseye-webhooks-emulator -p bullseye-webhooks-redis -p bullseye-webhooks-cli \
	  -p bullseye-webhooks-axum
	cp "$(CARGO_TARGET_DIR)"/package/bullseye-webhooks-*.crate dist/
	@$(if $(DIST_TARGETS),$(MAKE) --no-print-directory $(DIST_TARGETS))
	@ls -l dist

# The crates as the registry would build them: packaged, then compiled from the
# packages alone (the CLI against the packaged core, partner client and
# emulator). CI runs it through `make dist-test`.
publish-check: setup ## cargo publish --dry-run of the core, the partner client, the emulator, the CLI, the Redis store and the axum integration
	@# Cargo takes a registry crate as immutable: while the version stays
	@# 0.1.0 it reuses the overlay registry's unpacked copy of our crates (a
	@# "-<hash>" folder) and its builds of them, so a crate would be verified
	@# against an old core. Drop both: the copies, and in a target dir of the
	@# check's own the builds of our crates (their dependencies stay built).
	rm -rf "$${CARGO_HOME:-$$HOME/.cargo}"/registry/src/-*/bullseye-webhooks*
	rm -rf "$(CARGO_TARGET_DIR)"/publish-check/debug/.fingerprint/bullseye-webhooks* \
	  "$(CARGO_TARGET_DIR)"/publish-check/debug/.fingerprint/bullseye_webhooks*
	CARGO_TARGET_DIR="$(CARGO_TARGET_DIR)/publish-check" cargo publish --dry-run --allow-dirty \
	  -p bullseye-webhooks -p bullseye-webhooks-partner -p bullseye-webhooks-emulator -p bullseye-webhooks-cli \
	  -p bullseye-webhooks-redis -p bullseye-webhooks-axum

dist-test: publish-check

FUZZ_SMOKE_SECONDS ?= 10

conformance: setup $(CONFORMANCE_PREREQS) ## Every vector through every language; fails on any difference
	python3 tests/conformance/compare.py rust $(CONFORMANCE_LANGUAGES)

fuzz: ## Fuzz every target for FUZZ_SECONDS (default 60), seeded from fuzz/corpus/; crashes land in fuzz/artifacts/
	@scripts/fuzz.sh

.PHONY: fuzz-long
FUZZ_LONG_RUNS ?= 10000000
fuzz-long: ## Fuzz every target for FUZZ_LONG_RUNS executions (10M; one job, one target at a time, nice 19), then minimize into fuzz/corpus/
	@FUZZ_RUNS=$(FUZZ_LONG_RUNS) scripts/fuzz.sh

timing: ## Constant-time check (dudect-style Welch t-test); a measurement, not a test
	cargo run --quiet --release -p bullseye-webhooks --example timing

generate: ## Regenerate the files made from the core's field table (Python stubs, TypeScript declarations)
	cargo run --quiet -p bullseye-webhooks-tools --bin generate

fixtures: ## Regenerate fixtures/vectors.json and fixtures/bitnob-vectors.json from fixtures/generate.py (Python stdlib)
	python3 fixtures/generate.py

clean: ## Remove build outputs
	rm -rf target dist
