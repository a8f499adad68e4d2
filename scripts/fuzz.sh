#!/usr/bin/env bash
# make fuzz / the fuzz smoke run in make test: each cargo-fuzz target for
# FUZZ_SECONDS (default 60), seeded from the corpus kept in fuzz/corpus/
# and the fixtures. make fuzz-long: FUZZ_RUNS executions per target instead
# (10M), one job, one target at a time, at nice 19, then the run's corpus
# minimized (libFuzzer -merge=1) back into fuzz/corpus/<target>/.
# cargo-fuzz is installed into target/tools; libFuzzer's flags need nightly,
# which this project does not fetch: RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
tools="$target_dir/tools"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --version 0.13.2 --root "$tools"
fi
export PATH="$tools/bin:$PATH" RUSTC_BOOTSTRAP=1
# The fuzz workspace keeps its own target dir: its sanitizer flags would
# otherwise rebuild the main workspace's artefacts.
export CARGO_TARGET_DIR="$target_dir/fuzz"

# FUZZ_TARGETS picks some of them (space-separated), e.g. to run the long
# runs of several targets side by side, one process each.
read -r -a targets <<<"${FUZZ_TARGETS:-signature construct_event parse_visit}"
kept="$PWD/fuzz/corpus"
corpus_root="$target_dir/fuzz-corpus"
for fuzz_target in "${targets[@]}"; do
  corpus="$corpus_root/$fuzz_target"
  mkdir -p "$corpus"
  cp -n "$kept/$fuzz_target"/* "$corpus/" 2>/dev/null || true
  cp -n fixtures/payloads/*.json "$corpus/" 2>/dev/null || true
done

if [ -n "$runs" ]; then
  limit=(-runs="$runs")
  run=(nice -n 19)
else
  limit=(-max_total_time="$seconds")
  run=()
fi

# "12 files, 34 KiB" for a directory.
size_of() { echo "$(find "$1" -type f | wc -l) files, $(du -sk --apparent-size "$1" | cut -f1) KiB"; }

summary=()
for fuzz_target in "${targets[@]}"; do
  log="$corpus_root/$fuzz_target.log"
  echo "fuzz: $fuzz_target for $(if [ -n "$runs" ]; then echo "$runs executions"; else echo "${seconds}s"; fi)"
  start=$SECONDS
  if (cd fuzz && "${run[@]}" cargo fuzz run --release "$fuzz_target" "$corpus_root/$fuzz_target" \
        -- "${limit[@]}" -max_len=65536 -print_final_stats=1) >"$log" 2>&1; then
    executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1)
    line="$fuzz_target: ${executed:-?} executions, 0 crashes"
    if [ -n "$runs" ]; then
      # The last status line: "#N DONE cov: C ft: F corp: ..." (edges, features).
      done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1)
      cov=$(grep -o 'cov: [0-9]*' <<<"$done_line" | grep -o '[0-9]*')
      ft=$(grep -o 'ft: [0-9]*' <<<"$done_line" | grep -o '[0-9]*')
      # Minimize into a fresh directory, then replace the kept corpus with it.
      fresh="$corpus_root/$fuzz_target.min"
      rm -rf "$fresh" && mkdir -p "$fresh"
      (cd fuzz && "${run[@]}" cargo fuzz run --release "$fuzz_target" "$fresh" "$corpus_root/$fuzz_target" \
         -- -merge=1 -max_len=65536) >"$log.merge" 2>&1
      rm -rf "${kept:?}/$fuzz_target" && mkdir -p "$kept" && mv "$fresh" "$kept/$fuzz_target"
      line+=", cov ${cov:-?}, ft ${ft:-?}, $((SECONDS - start)) s, corpus $(size_of "$kept/$fuzz_target")"
    fi
    summary+=("$line")
  else
    tail -n 40 "$log" >&2
    echo "fuzz: $fuzz_target FAILED (artifacts under fuzz/artifacts/$fuzz_target)" >&2
    exit 1
  fi
done
printf '%s\n' "${summary[@]}"
echo "fuzz: ${#summary[@]} passed, 0 failed"
