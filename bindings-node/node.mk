# Node binding (bindings-node/): included by the root Makefile.
# Every step installs what it needs first, idempotently.

NODE_DIR := bindings-node
NODE_DTS := $(NODE_DIR)/native/index.d.ts

TEST_TARGETS += test-node
DIST_TARGETS += dist-node
BENCH_TARGETS += bench-node
DEMO_TARGETS += build-node
SETUP_TARGETS += setup-node
CONFORMANCE_LANGUAGES += node
CONFORMANCE_PREREQS += build-node

.PHONY: setup-node build-node check-node-dts test-node dist-node bench-node

setup-node: ## Node: check node (>= 20) and npm, install the package's dev dependencies
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "setup-node: node (>= 20) and npm are required" >&2; exit 1; }
	@node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("setup-node: node >= 20 is required, found " + process.version); process.exit(1) }'
	@$(NODE_DIR)/scripts/npm-ci.sh $(NODE_DIR)

# The package carries the WASM build too (its edge exports, and the fallback
# where no addon loads): build-wasm first, then js/sync.mjs copies it into
# bindings-node/wasm/.
build-node: setup-node build-wasm ## Node: build the napi addon into bindings-node/native/ (regenerates native/index.d.ts), copy in the shared js/ and the WASM build
	cd $(NODE_DIR) && npx napi build --platform --release --output-dir native --js index.js --dts index.d.ts
	node js/sync.mjs node
	node $(NODE_DIR)/scripts/partner-cjs.mjs

check-node-dts: build-node ## Node: fail when the build changed the committed native/index.d.ts
	@git ls-files --error-unmatch $(NODE_DTS) >/dev/null 2>&1 || { echo "$(NODE_DTS) is not committed" >&2; exit 1; }
	@git diff --quiet -- $(NODE_DTS) || { git --no-pager diff -- $(NODE_DTS); echo "$(NODE_DTS) changed in the build: review and commit it" >&2; exit 1; }
	@echo "node: $(NODE_DTS) matches the build"

test-node: check-node-dts dist-node ## Node: the JS suite (vectors, API, integrations, types, package, partner client)
	cargo build -p bullseye-webhooks-emulator
	node --test --test-reporter=spec tests/js/

dist-node: build-node ## Node: npm pack into dist/
	@mkdir -p dist
	node scripts/copy-licences.mjs $(NODE_DIR)
	cd $(NODE_DIR) && npm pack --silent --pack-destination ../dist

bench-node: build-node ## Node: verify/constructEvent against node:crypto and other webhook libraries
	@$(NODE_DIR)/scripts/npm-ci.sh $(NODE_DIR)/bench
	node $(NODE_DIR)/bench/bench.js
