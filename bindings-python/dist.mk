# The Python package's release artifacts (issue 16), included by the root
# Makefile: manylinux2014 and musllinux_1_2 wheels for x86_64 and aarch64,
# built here with maturin + zig (ziglang from the pinned dev requirements),
# and the sdist; `make dist-test` builds and checks them (what is run where:
# the Platforms table in bindings-python/README.md). CI runs it after
# `make test`. macOS and Windows wheels come from .github/workflows/release.yml.

# (Recursive "=": PY_VENV comes from python.mk, included after this file.)
# Their own cargo target dir under target/: the cross builds never contend
# with the host builds for the same artifacts, and a second run is warm.
PY_DIST_ROOT := $(CARGO_TARGET_DIR)/dist-python
PY_DIST_ENV = PY_VENV="$(PY_VENV)" PY_DIST_OUT="$(PY_DIST_ROOT)/out" \
	PY_DIST_WORK="$(PY_DIST_ROOT)/work" PY_DIST_CARGO="$(PY_DIST_ROOT)/cargo"

.PHONY: setup-dist-python dist-python-wheels dist-test-python dist-test

setup-dist-python: setup-python
	@scripts/setup.sh

dist-python-wheels: setup-dist-python ## Python: the Linux wheels (manylinux2014, musllinux_1_2; x86_64, aarch64) and the sdist, built with maturin + zig
	@$(PY_DIST_ENV) bindings-python/tests/dist/dist-test.sh build

dist-test-python: dist-python-wheels ## Python: those wheels and the sdist checked (tags, licences, metadata) and run: x86_64 in a clean venv, aarch64 under qemu, the sdist built from source
	@start=$$(date +%s); $(PY_DIST_ENV) bindings-python/tests/dist/dist-test.sh test; \
		echo "dist-test-python: checks took $$(( $$(date +%s) - start )) s"

# CI runs `make dist-test` after `make test`; each binding adds its half.
dist-test: dist-test-python ## Release artifacts built and tested (Python here; the Node half in bindings-node/dist.mk)
