# The Node per-platform packages (issue 16), napi-rs's scheme, included by
# the root Makefile: bindings-node/npm/<platform>/ holds one package per napi
# target (bullseye-webhooks-linux-x64-gnu, ...), each with os/cpu/libc and
# one addon; at release the main package lists them all in
# optionalDependencies, pinned to its version, and carries no addon itself.
# The four Linux addons are built here with zig (scripts/build-platforms.sh);
# darwin-x64, darwin-arm64 and win32-x64-msvc only by
# .github/workflows/release.yml. `make dist-test` packs and checks them and
# runs the vectors: x64-gnu here, arm64-gnu under qemu (the Platforms table
# in bindings-node/README.md says what runs where).

NODE_VENV := $(CURDIR)/.venv
NODE_CROSS_STAMP := $(NODE_VENV)/.node-cross-installed

.PHONY: setup-node-cross dist-node-platforms dist-test-node

# cargo-zigbuild (napi build --cross-compile links through it) from PyPI,
# into the project's venv beside the ziglang the Python dev requirements pin.
setup-node-cross: setup-node setup-python $(NODE_CROSS_STAMP)
	@scripts/setup.sh

$(NODE_CROSS_STAMP): bindings-node/requirements-cross.txt bindings-python/requirements-dev.txt
	$(NODE_VENV)/bin/python -m pip install -q --disable-pip-version-check -r bindings-node/requirements-cross.txt
	@touch $@

dist-node-platforms: setup-node-cross ## Node: the four Linux per-platform addons (x64/arm64, glibc/musl) into bindings-node/npm/, built with napi + zig
	@start=$$(date +%s); bindings-node/scripts/build-platforms.sh; \
		echo "dist-node-platforms: built in $$(( $$(date +%s) - start )) s"

dist-test-node: dist-node-platforms dist-node ## Node: the per-platform packages packed, checked (ELF, glibc 2.17 / musl) and installed offline beside the main package; the vectors run through them here (x64-gnu) and under qemu (arm64-gnu)
	@start=$$(date +%s); bindings-node/scripts/dist-test.sh; \
		echo "dist-test-node: checks took $$(( $$(date +%s) - start )) s"

# CI's `make dist-test` (bindings-python/dist.mk) runs the Node half too.
dist-test: dist-test-node
