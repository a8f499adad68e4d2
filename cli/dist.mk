# The CLI's release packages (issue 23), included by the root Makefile: the
# `bullseye-webhooks-cli` wheel (maturin's binary packaging, cli/python/) and
# the npm launcher `bullseye-webhooks-cli` with the per-platform binary
# packages `@bullseye-webhooks/cli-<platform>` (cli/npm/, esbuild's scheme),
# so `pipx run` and `npx` start the CLI with no Rust toolchain. Built here for
# Linux glibc x86_64 and aarch64 (manylinux2014, linux-x64-gnu and
# linux-arm64-gnu), with maturin + zig as the library's wheels are; aarch64
# is run under qemu. The other platforms by .github/workflows/release.yml,
# through the same cli/scripts/dist.sh.

# (Recursive "=": PY_VENV and PY_DIST_ROOT come from the bindings' .mk files.)
# The wheel builds in the Python wheels' cargo dir: same target, same zig,
# so the crates both use compile once.
CLI_DIST_ROOT := $(CARGO_TARGET_DIR)/dist-cli
CLI_DIST_ENV = PY_VENV="$(PY_VENV)" CLI_DIST_OUT="$(CLI_DIST_ROOT)/out" \
	CLI_DIST_WORK="$(CLI_DIST_ROOT)/work" CARGO_TARGET_DIR="$(PY_DIST_ROOT)/cargo"
CLI_DIST_STAMP = $(PY_VENV)/.cli-dist-installed

.PHONY: setup-dist-cli dist-cli-packages dist-cli dist-test-cli dist-test-cli-arm64

setup-dist-cli: setup-python $(CLI_DIST_STAMP)

$(CLI_DIST_STAMP): cli/requirements-dist.txt bindings-python/requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r cli/requirements-dist.txt
	@touch $@

dist-cli-packages: setup-dist-cli ## CLI: the wheels (manylinux2014 x86_64 and aarch64, maturin + zig), the npm launcher and the linux-x64-gnu and linux-arm64-gnu binary packages
	@start=$$(date +%s); $(CLI_DIST_ENV) cli/scripts/dist.sh build; \
		echo "dist-cli-packages: built in $$(( $$(date +%s) - start )) s"

dist-cli: dist-cli-packages ## CLI: those packages into dist/
	@mkdir -p dist
	rm -f dist/bullseye_webhooks_cli-*.whl dist/bullseye-webhooks-cli-*.tgz
	cp "$(CLI_DIST_ROOT)"/out/* dist/

dist-test-cli: dist-cli-packages ## CLI: the wheel in a clean venv and through pipx, the npm packages through npx, offline: --version, example, sign, verify, emulate
	@start=$$(date +%s); $(CLI_DIST_ENV) cli/scripts/dist.sh test; \
		echo "dist-test-cli: checks took $$(( $$(date +%s) - start )) s"

dist-test-cli-arm64: dist-cli-packages ## CLI: the aarch64 wheel through pipx and the linux-arm64-gnu package through npx, in Debian's arm64 Python and Node.js under qemu, offline: --version, send, emulate
	@start=$$(date +%s); $(CLI_DIST_ENV) cli/scripts/dist.sh test-arm64; \
		echo "dist-test-cli-arm64: checks took $$(( $$(date +%s) - start )) s"

DIST_TARGETS += dist-cli
dist-test: dist-test-cli dist-test-cli-arm64
