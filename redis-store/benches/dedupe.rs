//! What de-duplication adds to each delivery, per store: `construct_event`
//! alone, then `construct_event` + `delivery_key` + a claim and its complete
//! (a new delivery: the common case), on the memory store and on a real
//! loopback `redis-server` started here. `scripts/bench-rust.sh` turns the
//! medians into the added µs and a ratio to `construct_event` alone.
//! A second group prices a duplicate (a claim of a key already done),
//! answered by the store (Redis, memory) or by a `CachedStore`'s
//! in-process cache in front of it: the claim alone, next to
//! `construct_event` for scale.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::time::Duration;

use bullseye_webhooks::delivery::{CachedStore, Claim, DeliveryStore, MemoryStore};
use bullseye_webhooks::{Webhook, sign};
use bullseye_webhooks_redis::RedisStore;
use criterion::{Criterion, criterion_group, criterion_main};

const SECRET: &str = "whsec_bench_dedupe_7c1f";
/// The documented identification example, byte for byte.
const BODY: &[u8] =
    include_bytes!("../../fixtures/payloads/bullseye-partner-api-identification.json");

/// One new delivery: construct the event, claim a key of its own (the
/// delivery key plus a counter, so every iteration is new), complete it.
fn once(webhook: &Webhook, signature: &str, store: &dyn DeliveryStore, n: &mut u64) {
    let event = webhook.construct_event(BODY, signature).unwrap();
    *n += 1;
    let key = format!("{}#{n}", event.delivery_key());
    let hash = event.body_hash();
    match store.claim(&key, &hash, Duration::from_secs(60)).unwrap() {
        Claim::New { token } => {
            black_box(&event);
            store
                .complete(&key, &token, &hash, Duration::from_secs(600))
                .unwrap();
        }
        other => panic!("a new key was not new: {other:?}"),
    }
}

fn bench(c: &mut Criterion) {
    let webhook = Webhook::new(SECRET).unwrap();
    let signature = sign(SECRET, BODY);
    let mut group = c.benchmark_group("dedupe_documented");
    group.bench_function("construct_event", |b| {
        b.iter(|| {
            black_box(
                webhook
                    .construct_event(black_box(BODY), &signature)
                    .unwrap(),
            )
        })
    });
    // Room for every iteration: the common path, no eviction.
    let memory = MemoryStore::with_capacity(50_000_000);
    let mut n = 0;
    group.bench_function("memory", |b| {
        b.iter(|| once(&webhook, &signature, &memory, &mut n))
    });
    // The default capacity (100,000 keys), full: each claim also pays its
    // share of evicting the done keys closest to expiry.
    let full = MemoryStore::new();
    group.bench_function("memory_full", |b| {
        b.iter(|| once(&webhook, &signature, &full, &mut n))
    });
    let server = redis_server::RedisServer::start();
    let redis = RedisStore::open(&server.url()).unwrap();
    group.bench_function("redis", |b| {
        b.iter(|| once(&webhook, &signature, &redis, &mut n))
    });
    group.finish();
}

/// One duplicate: a claim of `key`, which `store` holds done.
fn duplicate(key: &str, hash: &str, store: &dyn DeliveryStore) {
    match store.claim(key, hash, Duration::from_secs(60)).unwrap() {
        Claim::Duplicate => {}
        other => panic!("a done key was not a duplicate: {other:?}"),
    }
}

/// `store` holding the documented example's key done, completed through it
/// (so a `CachedStore` remembers it).
fn done(webhook: &Webhook, signature: &str, store: &dyn DeliveryStore) {
    let event = webhook.construct_event(BODY, signature).unwrap();
    let hash = event.body_hash();
    let Claim::New { token } = store
        .claim(&event.delivery_key(), &hash, Duration::from_secs(60))
        .unwrap()
    else {
        panic!("the first claim was not new");
    };
    store
        .complete(
            &event.delivery_key(),
            &token,
            &hash,
            Duration::from_secs(3600),
        )
        .unwrap();
}

fn bench_duplicate(c: &mut Criterion) {
    let webhook = Webhook::new(SECRET).unwrap();
    let signature = sign(SECRET, BODY);
    let server = redis_server::RedisServer::start();
    // Two prefixes on one server: each store completes the key itself.
    let redis = RedisStore::open(&server.url())
        .unwrap()
        .with_prefix("bench-redis:");
    let cached = CachedStore::new(
        RedisStore::open(&server.url())
            .unwrap()
            .with_prefix("bench-cached:"),
    );
    let memory = MemoryStore::new();
    let cached_memory = CachedStore::new(MemoryStore::new());
    done(&webhook, &signature, &redis);
    done(&webhook, &signature, &cached);
    done(&webhook, &signature, &memory);
    done(&webhook, &signature, &cached_memory);
    let event = webhook.construct_event(BODY, &signature).unwrap();
    let (key, hash) = (event.delivery_key(), event.body_hash());
    let mut group = c.benchmark_group("dedupe_duplicate");
    group.bench_function("construct_event", |b| {
        b.iter(|| {
            black_box(
                webhook
                    .construct_event(black_box(BODY), &signature)
                    .unwrap(),
            )
        })
    });
    group.bench_function("redis", |b| {
        b.iter(|| duplicate(black_box(&key), &hash, &redis))
    });
    group.bench_function("cached_redis", |b| {
        b.iter(|| duplicate(black_box(&key), &hash, &cached))
    });
    group.bench_function("memory", |b| {
        b.iter(|| duplicate(black_box(&key), &hash, &memory))
    });
    group.bench_function("cached_memory", |b| {
        b.iter(|| duplicate(black_box(&key), &hash, &cached_memory))
    });
    group.finish();
}

criterion_group!(benches, bench, bench_duplicate);
criterion_main!(benches);
