#!/usr/bin/env bash
# fixtures/vectors.json must be exactly what fixtures/generate.py writes:
# a hand edit, or a generator change without regenerating, fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(sha256sum fixtures/vectors.json)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r fixtures "$tmp/"
python3 "$tmp/fixtures/generate.py" >/dev/null
if ! cmp -s "$tmp/fixtures/vectors.json" fixtures/vectors.json; then
  echo "fixtures/vectors.json is stale: run 'make fixtures' and commit it" >&2
  exit 1
fi
echo "fixtures: vectors.json matches generate.py (${before%% *})"
