#!/usr/bin/env bash
# make fuzz / the fuzz smoke run in make test: each cargo-fuzz target for
# FUZZ_SECONDS (default 60), seeded from the fixtures. cargo-fuzz is installed
# into target/tools; libFuzzer's flags need nightly, which this project does
# not fetch: RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
tools="$target_dir/tools"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --version 0.13.2 --root "$tools"
fi
export PATH="$tools/bin:$PATH" RUSTC_BOOTSTRAP=1
# The fuzz workspace keeps its own target dir: its sanitizer flags would
# otherwise rebuild the main workspace's artefacts.
export CARGO_TARGET_DIR="$target_dir/fuzz"

corpus_root="$target_dir/fuzz-corpus"
for fuzz_target in signature construct_event parse_visit; do
  corpus="$corpus_root/$fuzz_target"
  mkdir -p "$corpus"
  cp -n fixtures/payloads/*.json "$corpus/" 2>/dev/null || true
done

summary=()
for fuzz_target in signature construct_event parse_visit; do
  log="$corpus_root/$fuzz_target.log"
  echo "fuzz: $fuzz_target for ${seconds}s"
  if (cd fuzz && cargo fuzz run --release "$fuzz_target" "$corpus_root/$fuzz_target" \
        -- -max_total_time="$seconds" -max_len=65536 -print_final_stats=1) >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1)
    summary+=("$fuzz_target: ${runs:-?} executions, 0 crashes")
  else
    tail -n 40 "$log" >&2
    echo "fuzz: $fuzz_target FAILED (artifacts under fuzz/artifacts/$fuzz_target)" >&2
    exit 1
  fi
done
printf '%s\n' "${summary[@]}"
echo "fuzz: ${#summary[@]} passed, 0 failed"
