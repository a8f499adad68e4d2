#!/usr/bin/env bash
# Install what the project needs, idempotently. Safe to run on every make.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }

if ! need cargo; then
  echo "setup: cargo is required (install Rust with rustup)" >&2
  exit 1
fi
if need rustup; then
  installed=$(rustup component list --installed 2>/dev/null || true)
  for component in rustfmt clippy; do
    grep -q "^$component" <<<"$installed" || rustup component add "$component"
  done
fi

# redis-server, Debian's package: the de-duplication tests start their own
# on a free loopback port. scripts/apt-install.sh: as root or through sudo.
if ! need redis-server && [ ! -x /usr/bin/redis-server ]; then
  scripts/apt-install.sh redis-server
fi

# Release builds and checks (make dist-test, make lint): the Rust targets of
# the Linux wheels (linked by zig, from the ziglang pin in the dev venv);
# Debian's qemu-user-static (qemu-aarch64-static runs the aarch64 wheel),
# debootstrap (unpacks Debian's arm64 Python into a cache) and shellcheck
# (actionlint checks the workflow's run: scripts with it).
if need rustup; then
  targets=$(rustup target list --installed 2>/dev/null || true)
  for target in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
    grep -qx "$target" <<<"$targets" || rustup target add "$target"
  done
fi
missing=()
for pair in qemu-aarch64-static:qemu-user-static debootstrap:debootstrap shellcheck:shellcheck; do
  need "${pair%%:*}" || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  scripts/apt-install.sh "${missing[@]}"
fi
