# The Node package in other runtimes (issue 22), included by the root
# Makefile: the Next.js example app's own dependencies (next, react, pinned
# by examples/nextjs/package-lock.json), which tests/js/node/nextjs.test.js
# builds and starts. Bun and Deno are dev dependencies of the package
# (bindings-node/package.json), installed by setup-node.

NEXTJS_DIR := examples/nextjs

SETUP_TARGETS += setup-node-nextjs

.PHONY: setup-node-nextjs

setup-node-nextjs: setup-node ## Node: the Next.js example's dependencies (examples/nextjs), from its lock file
	@$(NODE_DIR)/scripts/npm-ci.sh $(NEXTJS_DIR)

test-node: setup-node-nextjs
