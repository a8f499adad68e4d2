#!/usr/bin/env bash
# make bench (Rust): criterion medians as ratios to the raw hmac crate in the
# same run, and 1 MiB throughput against `openssl speed` on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-target}

log="$target_dir/criterion-run.log"
echo "rust: criterion benches (log: target/criterion-run.log)" >&2
cargo bench -p bullseye-webhooks --bench verify -- --noplot --warm-up-time 1 --measurement-time 4 >"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; exit 1; }

# De-duplication's cost per delivery (memory, and a loopback redis-server
# the bench starts itself).
cargo bench -p bullseye-webhooks-redis --bench dedupe -- --noplot --warm-up-time 1 --measurement-time 4 >>"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; exit 1; }
# The queue hand-off per new delivery (receiver and worker, on a loopback
# redis-server the bench starts): shorter, each iteration is a round trip or more.
cargo bench -p bullseye-webhooks-redis --bench queue -- --noplot --warm-up-time 1 --measurement-time 3 >>"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; exit 1; }

openssl_line=""
if command -v openssl >/dev/null 2>&1; then
  # The hardware ceiling: SHA-256 over 1 MiB blocks, one core.
  openssl_line=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | grep -E '^sha256' | tail -n 1 || true)
fi

OPENSSL_LINE="$openssl_line" CRITERION_DIR="$target_dir/criterion" python3 - <<'PY'
import json, os, re

root = os.environ["CRITERION_DIR"]

def median_ns(group, name):
    path = os.path.join(root, group, name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]

print("### Rust core vs the raw hmac crate (criterion medians, same run)\n")
print("| benchmark | raw hmac crate | core | core / raw |")
print("|---|---|---|---|")
for label, size in (("3KB", None), ("64KB", None), ("1MiB", 1024 * 1024)):
    group = f"verify_{label}"
    raw, core = median_ns(group, "raw_hmac"), median_ns(group, "core_verify")
    print(f"| verify {label} | {raw/1000:.2f} µs | {core/1000:.2f} µs | {core/raw:.3f}x |")
raw = median_ns("construct_event_3KB", "raw_hmac")
core = median_ns("construct_event_3KB", "core_construct_event")
print(f"| construct_event 3KB | {raw/1000:.2f} µs | {core/1000:.2f} µs | {core/raw:.2f}x |")
check = median_ns("construct_event_3KB", "core_check_event")
print(f"| check_event 3KB (construct_event's checks, no typed event) | {raw/1000:.2f} µs | {check/1000:.2f} µs | {check/raw:.2f}x |")
# Issue 21's goals: construct_event <= 2.0x, check_event <= 1.6x the raw MAC,
# and the scanner alone (no MAC, no typed read) at >= 1 GB/s.
with open(os.path.join(root, "scan_3KB", "scanner_alone", "new", "benchmark.json")) as f:
    scanned = json.load(f)["throughput"]["Bytes"]
scan = median_ns("scan_3KB", "scanner_alone")
print(f"\nthe scanner alone over the 3 KB payload: {scan/1000:.2f} µs, {scanned/scan:.2f} GB/s (goal >= 1 GB/s: {'met' if scanned/scan >= 1 else 'NOT met'})")
for name, t, goal in (("construct_event", core, 2.0), ("check_event", check, 1.6)):
    print(f"goal {name} <= {goal}x the raw MAC: {t/raw:.2f}x ({'met' if t/raw <= goal else 'NOT met'})")

alone = median_ns("dedupe_documented", "construct_event")
print("\n### De-duplication: what each store adds to a new delivery (Rust)\n")
print("construct_event of the documented identification example, then its delivery key, a claim and")
print("its complete (criterion medians, same run; Redis: a redis-server on loopback, no persistence).\n")
print("| store | construct_event + claim + complete | added | added / construct_event |")
print("|---|---|---|---|")
print(f"| none (construct_event alone) | {alone/1000:.2f} µs | | |")
for name, label in (("memory", "MemoryStore"), ("memory_full", "MemoryStore, full (100,000 keys: evicting)"),
                    ("redis", "RedisStore (bullseye-webhooks-redis), blocking")):
    t = median_ns("dedupe_documented", name)
    print(f"| {label} | {t/1000:.2f} µs | {(t-alone)/1000:.2f} µs | {(t-alone)/alone:.2f}x |")

event = median_ns("dedupe_duplicate", "construct_event")
print("\n### De-duplication: a duplicate, answered by Redis or by the local cache (Rust)\n")
print("A claim of the documented example's key, already done: answered by the store (RedisStore: a")
print("loopback round trip; MemoryStore) or by CachedStore in front of it (this process completed the key).")
print("The claim alone; construct_event of the same body for scale (criterion medians, same run).\n")
print("| answered by | claim (duplicate) | / construct_event |")
print("|---|---|---|")
print(f"| (construct_event alone) | {event/1000:.2f} µs | 1.00x |")
claims = {}
for name, label in (("redis", "RedisStore, blocking"), ("cached_redis", "CachedStore(RedisStore): the cache"),
                    ("memory", "MemoryStore"), ("cached_memory", "CachedStore(MemoryStore): the cache")):
    claims[name] = median_ns("dedupe_duplicate", name)
    print(f"| {label} | {claims[name]/1000:.2f} µs | {claims[name]/event:.2f}x |")
print(f"\na duplicate from the cache costs {claims['cached_redis']/claims['redis']:.4f}x one answered by Redis, "
      f"{claims['cached_memory']/claims['memory']:.2f}x one answered by MemoryStore")

event = median_ns("queue_handoff", "construct_event")
received = median_ns("queue_handoff", "receive")
worked = median_ns("queue_handoff", "worker")
print("\n### The queue hand-off: what a new delivery costs on Redis Streams (Rust)\n")
print("The receiver: queue::receive (verify, the envelope, a RedisStore claim, XADD; answers 202). The")
print("worker: QueueWorker::run_once taking that one message (promote, XAUTOCLAIM, XREADGROUP,")
print("open_envelope, the claim and run-key checks, complete, ack). Each delivery new; a redis-server on")
print("loopback, no persistence (criterion medians, same run).\n")
print("| step | µs per delivery | / construct_event |")
print("|---|---|---|")
print(f"| construct_event alone | {event/1000:.2f} µs | 1.00x |")
print(f"| receiver: queue::receive (RedisStore claim + XADD) | {received/1000:.2f} µs | {received/event:.2f}x |")
print(f"| worker: run_once, one message | {worked/1000:.2f} µs | {worked/event:.2f}x |")
print(f"\nthe receiver's enqueue adds {(received-event)/1000:.1f} µs to construct_event; receiver and worker together "
      f"{(received+worked)/1000:.1f} µs per delivery")

mib = median_ns("verify_1MiB", "core_verify")
core_gbps = (1024 * 1024) / mib  # bytes per ns == GB/s
line = os.environ.get("OPENSSL_LINE", "")
m = re.findall(r"([0-9.]+)k", line)
if m:
    openssl_gbps = float(m[-1]) * 1000 / 1e9
    print(f"\n1 MiB verify: {core_gbps:.2f} GB/s; openssl speed -evp sha256 (1 MiB blocks): "
          f"{openssl_gbps:.2f} GB/s; core is {100*core_gbps/openssl_gbps:.1f}% of openssl")
else:
    print(f"\n1 MiB verify: {core_gbps:.2f} GB/s (openssl not available for the ceiling)")
PY
