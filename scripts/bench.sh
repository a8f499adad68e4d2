#!/usr/bin/env bash
# make bench: every language's benchmarks in one run, printed and written to
# bench/RESULTS.md with the date and the machine's facts. Measurements only:
# nothing here is a test, and nothing in CI depends on a timing.
# Usage: scripts/bench.sh "BENCH_TARGETS" "CONFORMANCE_LANGUAGES"
set -euo pipefail
cd "$(dirname "$0")/.."
bench_targets=${1:-}
languages=${2:-}
mkdir -p bench
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Ratios compare contenders measured"
  echo "in the same run; absolute times depend on the machine and its load."
  echo
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)"
  echo "- Memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "- $(rustc --version); Python $(python3 -c 'import platform; print(platform.python_version())'); Node $(node --version 2>/dev/null || echo absent)"
  echo
  scripts/bench-rust.sh
  echo
  for target in $bench_targets; do
    make --no-print-directory -s "$target"
    echo
  done
  python3 scripts/bench_memory.py rust $languages
} | tee "$out"
cp "$out" bench/RESULTS.md
echo "bench: wrote bench/RESULTS.md" >&2
