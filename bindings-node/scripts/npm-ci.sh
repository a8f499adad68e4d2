#!/usr/bin/env bash
# npm ci in DIR from its committed package-lock.json, skipped when
# node_modules is already from that exact lock file (idempotent).
set -euo pipefail
dir=$1
lock="$dir/package-lock.json"
stamp="$dir/node_modules/.bullseye-lock.sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
