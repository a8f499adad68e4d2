#!/usr/bin/env bash
# Every published crate ships both licence texts (the crates link them from
# the repository root; cargo package copies the files). Used by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
failed=0
for crate in bullseye-webhooks bullseye-webhooks-partner bullseye-webhooks-emulator \
  bullseye-webhooks-cli bullseye-webhooks-redis bullseye-webhooks-axum; do
  listing="$(cargo package --list --allow-dirty --quiet -p "$crate")"
  for licence in LICENSE-MIT LICENSE-APACHE; do
    if ! grep -qx "$licence" <<<"$listing"; then
      echo "check-crate-licences: $crate does not ship $licence" >&2
      failed=1
    fi
  done
done
[ "$failed" = 0 ] && echo "check-crate-licences: 6 crates, each with LICENSE-MIT and LICENSE-APACHE"
exit "$failed"
