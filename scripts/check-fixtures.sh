#!/usr/bin/env bash
# fixtures/vectors.json and fixtures/bitnob-vectors.json must be exactly what
# fixtures/generate.py writes: a hand edit, or a generator change without
# regenerating, fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r fixtures "$tmp/"
python3 "$tmp/fixtures/generate.py" >/dev/null
for file in vectors.json bitnob-vectors.json; do
  if ! cmp -s "$tmp/fixtures/$file" "fixtures/$file"; then
    echo "fixtures/$file is stale: run 'make fixtures' and commit it" >&2
    exit 1
  fi
  sum=$(sha256sum "fixtures/$file")
  echo "fixtures: $file matches generate.py (${sum%% *})"
done
