#!/usr/bin/env bash
# Build the two .wasm modules (the Bullseye verifier's, bullseye_webhooks_wasm,
# and the Bitnob verifier's, bullseye_webhooks_bitnob) and their JS glue into
# bindings-wasm/pkg/: cargo (profile wasm-release) -> wasm-bindgen --target web -> wasm-opt.
# wasm-bindgen and wasm-opt come from the project's own installs (see wasm.mk):
# Debian's wasm-opt (108) silently breaks wasm-bindgen output, so the npm
# `binaryen` one is put first on PATH.
# Environment: WASM_PROFILE (default wasm-release), WASM_OPT_FLAGS (default -Oz --converge),
# CARGO_TARGET_DIR (default ../target).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
profile=${WASM_PROFILE:-wasm-release}
opt_flags=${WASM_OPT_FLAGS:--Oz --converge}
export PATH="$here/node_modules/.bin:$target_dir/tools/bin:$PATH"
# WebAssembly SIMD (128-bit): sha2 then uses its wasm32 SIMD backend instead
# of the unrolled scalar rounds, which makes the .wasm about 1.7 KB gzipped
# smaller and SHA-256/512 faster. Every runtime this package targets has it
# (Chrome 91, Firefox 89, Safari 16.4, Node 16.4, Deno, workerd).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:--C target-feature=+simd128}"

# Built into a staging folder that replaces pkg/ only once both modules are
# built: a failed build leaves the last good pkg/ in place, not an empty one.
staging="$here/pkg.building"
rm -rf "$staging"
# Two modules from the one crate (see its Cargo.toml): `bullseye` (the
# default features) and `bitnob`, each through wasm-bindgen (which names its
# output after the input file) and wasm-opt.
built="$target_dir/wasm32-unknown-unknown/$profile/bullseye_webhooks_wasm.wasm"
for module in wasm bitnob; do
  if [ "$module" = wasm ]; then features=(); else features=(--no-default-features --features bitnob); fi
  cargo build --quiet -p bullseye-webhooks-wasm --target wasm32-unknown-unknown --profile "$profile" "${features[@]}"
  input="$target_dir/wasm32-unknown-unknown/$profile/bullseye_webhooks_$module.wasm"
  [ "$module" = wasm ] || cp "$built" "$input"
  wasm-bindgen --target web --no-typescript --out-dir "$staging" "$input"
  wasm="$staging/bullseye_webhooks_${module}_bg.wasm"
  # The producers and target_features sections only describe the build: dropped.
  # shellcheck disable=SC2086 # the flags are a list
  wasm-opt $opt_flags --strip-producers --strip-target-features \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  echo "wasm ($module): $(wc -c <"$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzipped ($profile, wasm-opt $opt_flags)"
done
rm -rf "$here/pkg"
mv "$staging" "$here/pkg"
# The JavaScript and types shared with the Node package, copied in (gitignored);
# the claim flow is bundled by the Node package's esbuild (js/sync.mjs).
"$root/bindings-node/scripts/npm-ci.sh" "$root/bindings-node"
node "$root/js/sync.mjs" wasm
