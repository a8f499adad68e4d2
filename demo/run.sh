#!/usr/bin/env bash
# make demo: start every example receiver on 127.0.0.1, send them the same
# deliveries, print one table with a column per receiver.
#
# A receiver is any program that binds 127.0.0.1, prints
# "listening on http://HOST:PORT" as its first line of stdout, and answers
# as demo/README.md says. Each binding adds one `start_receiver` line.
set -euo pipefail
cd "$(dirname "$0")/.."

# Demo secrets only: never a real one. Bullseye's, then Bitnob's (a
# receiver of both senders keeps a secret for each).
export DEMO_SECRET="whsec_demo_current_2f6a1c"
export DEMO_PREVIOUS_SECRET="whsec_demo_previous_8d3e07"
export DEMO_BITNOB_SECRET="bn_whsk_demo_current_5c19e4"
export DEMO_BITNOB_PREVIOUS_SECRET="bn_whsk_demo_previous_a70b2d"

workdir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

receivers=()
start_receiver() {
  local name=$1; shift
  local out="$workdir/$name.out"
  "$@" >"$out" 2>"$workdir/$name.err" &
  pids+=("$!")
  for _ in $(seq 1 300); do
    if url=$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$out" 2>/dev/null); then
      receivers+=(--receiver "$name=$url")
      return 0
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "demo: the $name receiver did not start:" >&2
  cat "$workdir/$name.err" >&2
  return 1
}

cargo build --quiet -p bullseye-webhooks-demo -p bullseye-webhooks-cli
target_dir=${CARGO_TARGET_DIR:-target}

start_receiver rust "$target_dir/debug/receiver"
start_receiver express node bindings-node/demo/receiver.js
start_receiver fastapi .venv/bin/python bindings-python/demo/receiver.py
start_receiver worker node bindings-wasm/demo/receiver.mjs

# The sender makes each delivery of demo/deliveries.json with the CLI:
# bullseye-webhooks send --json.
# Each receiver's stderr is in $workdir/NAME.err: the sender checks that
# every receiver logged the drifted delivery's mismatch.
sender_status=0
"$target_dir/debug/sender" --cli "$target_dir/debug/bullseye-webhooks" \
  --table demo/deliveries.json --fixtures fixtures --logs "$workdir" \
  "${receivers[@]}" || sender_status=$?

# A local Bullseye (`bullseye-webhooks emulate`): the Rust receiver is
# configured through the partner API with the CLI, "Bullseye" sends it a
# test webhook, the receiver's /bullseye-retried route refuses the first
# attempt (503), the emulator retries it (its 1-minute wait scaled to 60 ms),
# and the logs page shows both attempts.
echo
echo "Partner API, emulated: configure, test, one retry, logs"
cli="$target_dir/debug/bullseye-webhooks"
rust_url=${receivers[1]#rust=}
export BULLSEYE_PARTNER_API_KEY="pk_demo_only_not_a_real_key_71c3" # demo only
"$cli" emulate --port 0 --in-memory --time-scale 0.001 >"$workdir/emulator.out" 2>"$workdir/emulator.err" &
pids+=("$!")
for _ in $(seq 1 100); do
  BULLSEYE_PARTNER_API_URL=$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*/api/v1' "$workdir/emulator.out" 2>/dev/null) && break
  sleep 0.1
done
[ -n "${BULLSEYE_PARTNER_API_URL:-}" ] || { echo "demo: the emulator did not start:" >&2; cat "$workdir/emulator.err" >&2; exit 1; }
export BULLSEYE_PARTNER_API_URL
echo "\$ bullseye-webhooks partner set identification --url $rust_url/bullseye-retried --secret-env DEMO_SECRET --enable"
"$cli" partner set identification --url "$rust_url/bullseye-retried" --secret-env DEMO_SECRET --enable
echo "\$ bullseye-webhooks partner test identification   # the receiver refuses this first attempt"
"$cli" partner test identification || true
attempts=""
for _ in $(seq 1 100); do
  "$cli" partner logs --type identification --json >"$workdir/logs.json"
  # Oldest first: each attempt as status:statusCode (the documented fields).
  attempts=$(python3 - "$workdir/logs.json" <<'PY'
import json, sys
logs = json.load(open(sys.argv[1]))["logs"]
print(" ".join(f"{e['status']}:{e['statusCode']}" for e in reversed(logs)))
PY
)
  [[ $attempts == *delivered* ]] && break
  sleep 0.1
done
echo "\$ bullseye-webhooks partner logs --type identification"
"$cli" partner logs --type identification
emulator_status=0
if [[ $attempts == "failed:503 delivered:200" ]]; then
  echo "demo: the emulated Bullseye retried the refused test webhook once, and it was delivered (attempts: $attempts)"
else
  echo "demo: the emulated Bullseye's attempts were not one refusal then one delivery: $attempts" >&2
  emulator_status=1
fi
exit $(( sender_status || emulator_status ))
