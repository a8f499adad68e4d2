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
# The queue envelope's vectors (fixtures/generate_envelopes.py).
python3 "$tmp/fixtures/generate_envelopes.py" >/dev/null
cmp -s "$tmp/fixtures/envelope-vectors.json" fixtures/envelope-vectors.json \
  || { echo "fixtures/envelope-vectors.json is stale: run 'python3 fixtures/generate_envelopes.py' and commit it" >&2; exit 1; }
echo "fixtures: envelope-vectors.json matches generate_envelopes.py"
