# The Python binding's targets, included by the root Makefile.
# Everything it needs is installed here, idempotently: a venv at .venv with
# the pinned requirements (re-installed only when a requirements file changes).

PY_VENV := $(CURDIR)/.venv
PY := $(PY_VENV)/bin/python
PY_WHEEL_DIR := $(CARGO_TARGET_DIR)/wheels
PY_WHEEL_GLOB := $(PY_WHEEL_DIR)/bullseye_webhooks-*-cp39-abi3-*.whl

SETUP_TARGETS += setup-python
TEST_TARGETS += test-python
DIST_TARGETS += dist-python
BENCH_TARGETS += bench-python
DEMO_TARGETS += build-python
CONFORMANCE_LANGUAGES += python
CONFORMANCE_PREREQS += build-python

.PHONY: setup-python build-python test-python dist-python bench-python

setup-python: $(PY_VENV)/.dev-installed

$(PY_VENV)/.dev-installed: bindings-python/requirements-dev.txt
	@command -v python3 >/dev/null || { echo "setup: python3 (3.9 or newer) is required" >&2; exit 1; }
	@test -x $(PY) || python3 -m venv $(PY_VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r bindings-python/requirements-dev.txt
	@touch $@

$(PY_VENV)/.bench-installed: bindings-python/requirements-bench.txt $(PY_VENV)/.dev-installed
	$(PY) -m pip install -q --disable-pip-version-check -r bindings-python/requirements-bench.txt
	@touch $@

build-python: setup-python ## Build the Python wheel (release) and install it into .venv
	@rm -f $(PY_WHEEL_GLOB)
	cd bindings-python && PATH="$(PY_VENV)/bin:$$PATH" maturin build --release --quiet -o "$(PY_WHEEL_DIR)"
	$(PY) -m pip install -q --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEEL_GLOB)

test-python: build-python ## Python: vectors, API, hypothesis, FastAPI/Flask/Django/Starlette/Litestar/aiohttp/DRF, logs/hooks/spans, examples, partner client, types, README, wheel
	cargo build --quiet -p bullseye-webhooks-emulator  # the partner client's tests run against it
	BULLSEYE_WHEEL="$$(ls $(PY_WHEEL_GLOB))" BULLSEYE_EMULATOR="$(CARGO_TARGET_DIR)/debug/bullseye-webhooks-emulator" \
		$(PY) -m pytest bindings-python/tests -q -p no:cacheprovider

# The releasable wheels (bindings-python/dist.mk), not the host-tagged one
# build-python makes for the tests; stale wheels of an earlier `make dist` go.
dist-python: dist-python-wheels ## The Linux wheels (manylinux2014, musllinux_1_2; x86_64, aarch64) and the sdist into dist/
	@mkdir -p dist
	rm -f dist/bullseye_webhooks-*.whl dist/bullseye_webhooks-*.tar.gz
	cp "$(PY_DIST_ROOT)"/out/bullseye_webhooks-*.whl "$(PY_DIST_ROOT)"/out/bullseye_webhooks-*.tar.gz dist/

bench-python: build-python $(PY_VENV)/.bench-installed ## Python vs stdlib hmac/json, msgspec, orjson, pydantic and the peers
	$(PY) bindings-python/bench/bench.py
	$(PY) bindings-python/bench/import_cost.py
