#!/usr/bin/env bash
# Build the addon of each Linux per-platform package (napi-rs's scheme:
# bindings-node/npm/<platform>/, one `.node` each) with napi's
# --cross-compile, which links through cargo-zigbuild and zig (both from the
# project's .venv): glibc builds are linked against glibc 2.17, as napi-rs's
# own cross toolchain does, so they load on old distributions too; musl
# builds are dynamic (-crt-static, which napi sets), as Node's musl builds
# need.
#
#   bindings-node/scripts/build-platforms.sh [TRIPLE...]   (default: all four)
#
# Cargo artefacts go to $CARGO_TARGET_DIR/napi-zig, not the shared target
# dir itself: zig's linker settings are part of cargo's fingerprint, so
# sharing target/x86_64-unknown-linux-gnu with `make build-node` (gcc) would
# rebuild every crate on each side every time.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(cd .. && pwd)"

venv="$root/.venv"
for tool in "$venv/bin/cargo-zigbuild" "$venv/bin/python"; do
  [ -x "$tool" ] || { echo "build-platforms: $tool is missing (make setup-node-cross installs it)" >&2; exit 1; }
done
"$venv/bin/python" -c 'import ziglang' 2>/dev/null || { echo "build-platforms: the ziglang package is missing from .venv" >&2; exit 1; }
# cargo-zigbuild finds zig as `python3 -m ziglang` when no zig is on PATH.
export PATH="$venv/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
zig_target_dir="$CARGO_TARGET_DIR/napi-zig"

triples=("$@")
[ "${#triples[@]}" -gt 0 ] || triples=(x86_64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-gnu aarch64-unknown-linux-musl)

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for triple in "${triples[@]}"; do
  case "$triple" in
    x86_64-unknown-linux-gnu) platform=linux-x64-gnu ;;
    x86_64-unknown-linux-musl) platform=linux-x64-musl ;;
    aarch64-unknown-linux-gnu) platform=linux-arm64-gnu ;;
    aarch64-unknown-linux-musl) platform=linux-arm64-musl ;;
    *) echo "build-platforms: $triple is not built here (the release workflow builds it)" >&2; exit 1 ;;
  esac
  # cargo-zigbuild's glibc version suffix; the artefact keeps the plain name.
  spec="$triple"
  [[ "$triple" == *-gnu ]] && spec="$triple.2.17"
  [ -f "npm/$platform/package.json" ] || { echo "build-platforms: npm/$platform/package.json is missing" >&2; exit 1; }
  start=$SECONDS
  nice -n 10 npx napi build --platform --release --target "$spec" --cross-compile \
    --target-dir "$zig_target_dir" --output-dir "$out/$platform" --no-js
  cp "$out/$platform/bullseye-webhooks.$platform.node" "npm/$platform/"
  node "$root/scripts/copy-licences.mjs" "npm/$platform"
  echo "build-platforms: npm/$platform/bullseye-webhooks.$platform.node ($((SECONDS - start)) s)" >&2
done
