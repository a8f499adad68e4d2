#!/usr/bin/env bash
# The main package as it is published (napi-rs's scheme), staged from the
# tarball `make dist-node` packs into dist/: its addon taken out (each
# platform's comes from its own package in npm/) and every napi target in
# optionalDependencies, pinned to the main package's version
# (scripts/release-manifest.js). Used by scripts/dist-test.sh and by the
# release workflow, which publishes the folder it leaves.
#
#   bindings-node/scripts/stage-release.sh OUT_DIR    stages OUT_DIR/package
set -euo pipefail
out="${1:?usage: stage-release.sh OUT_DIR}"
cd "$(dirname "$0")/../.."
node_dir="$PWD/bindings-node"
version="$(node -p 'require("./bindings-node/package.json").version')"
main_tgz="$PWD/dist/bullseye-webhooks-$version.tgz"
[ -f "$main_tgz" ] || { echo "stage-release: $main_tgz is missing (make dist-node packs it)" >&2; exit 1; }
rm -rf "$out/package"
mkdir -p "$out"
tar -xzf "$main_tgz" -C "$out"
rm -f "$out/package/native/"*.node
node "$node_dir/scripts/release-manifest.js" "$node_dir/package.json" "$node_dir/npm" "$out/package/package.json"
