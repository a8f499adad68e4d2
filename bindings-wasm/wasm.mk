# WASM binding (bindings-wasm/): included by the root Makefile.
# Every step installs what it needs first, idempotently: the wasm32 target,
# wasm-bindgen-cli (the exact version of the pinned crate) under
# $(CARGO_TARGET_DIR)/tools, the npm dev dependencies from the committed
# package-lock.json (binaryen's wasm-opt, miniflare/workerd, playwright-core,
# typescript), and Debian's Chromium for the browser test (as root or
# through sudo: scripts/apt-install.sh).

WASM_DIR := bindings-wasm
WASM_BINDGEN_VERSION := 0.2.130
WASM_TOOLS := $(CARGO_TARGET_DIR)/tools
WASM_NPM_STAMP := $(WASM_DIR)/node_modules/.installed-from-lock

TEST_TARGETS += test-wasm
DIST_TARGETS += dist-wasm
BENCH_TARGETS += bench-wasm
DEMO_TARGETS += build-wasm
SETUP_TARGETS += setup-wasm
CONFORMANCE_LANGUAGES += wasm
CONFORMANCE_PREREQS += build-wasm

.PHONY: setup-wasm build-wasm test-wasm dist-wasm bench-wasm

setup-wasm: $(WASM_NPM_STAMP) ## WASM: wasm32 target, wasm-bindgen-cli, npm dev dependencies, Chromium
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@"$(WASM_TOOLS)/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $(WASM_BINDGEN_VERSION)" \
	  || cargo install --quiet wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --root "$(WASM_TOOLS)" --force
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver \
	  || scripts/apt-install.sh chromium chromium-driver

$(WASM_NPM_STAMP): $(WASM_DIR)/package-lock.json $(WASM_DIR)/package.json
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "setup-wasm: node (>= 20) and npm are required" >&2; exit 1; }
	cd $(WASM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build-wasm: setup-wasm ## WASM: build the .wasm and its glue into bindings-wasm/pkg/
	@$(WASM_DIR)/scripts/build.sh

test-wasm: build-wasm dist-wasm ## WASM: the shared JS suite on the wasm package, its own API/type tests, Chromium, workerd, the packed tarball
	BULLSEYE_IMPL=wasm node --test --test-reporter=spec $(wildcard tests/js/*.test.js)
	node --test --test-reporter=spec $(WASM_DIR)/tests/

dist-wasm: build-wasm ## WASM: npm pack into dist/
	@mkdir -p dist
	node scripts/copy-licences.mjs $(WASM_DIR)
	cd $(WASM_DIR) && npm pack --silent --pack-destination ../dist

bench-wasm: build-wasm ## WASM: .wasm size, verify vs crypto.subtle, node:crypto and the JS peers in Node and workerd, constructEvent, start-up
	@bindings-node/scripts/npm-ci.sh bindings-node/bench
	node $(WASM_DIR)/bench/bench.mjs
