//! The queue hand-off's cost per new delivery, on a real loopback
//! `redis-server` started here: `construct_event` alone; the receiver's
//! `queue::receive` (verify and make the envelope, claim in `RedisStore`,
//! `XADD`); and a worker's `run_once` taking that one message (promote,
//! `XAUTOCLAIM`, `XREADGROUP`, `open_envelope`, the claim and run-key
//! checks, complete, ack). Each delivery is a new one (its own
//! `session_id`, signed outside the timed part). `scripts/bench-rust.sh`
//! turns the medians into µs and ratios to `construct_event`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bullseye_webhooks::{Event, Webhook, sign};
use bullseye_webhooks_redis::RedisStore;
use bullseye_webhooks_redis::queue::{QueueWorker, RedisStreamQueue, receive};
use criterion::{Criterion, criterion_group, criterion_main};

const SECRET: &str = "whsec_bench_queue_3e9a";
/// The documented identification example, byte for byte (`"session_id": "uuid"`).
const BODY: &str = include_str!("../../fixtures/payloads/bullseye-partner-api-identification.json");
const SESSION: &str = r#""session_id": "uuid""#;

/// Delivery `n`: the documented example with a session of its own (a new
/// delivery key), and its signature.
fn delivery(n: u64) -> (Vec<u8>, String) {
    let body = BODY.replacen(SESSION, &format!(r#""session_id": "bench-{n}""#), 1);
    let signature = sign(SECRET, body.as_bytes());
    (body.into_bytes(), signature)
}

fn bench(c: &mut Criterion) {
    assert!(
        BODY.contains(SESSION),
        "the fixture no longer has {SESSION}"
    );
    let webhook = Webhook::new(SECRET).unwrap();
    let server = redis_server::RedisServer::start();
    let client = || redis::Client::open(server.url().as_str()).unwrap();
    let queue = RedisStreamQueue::new(client()).with_stream("bench:{queue}");
    queue.ensure_group().unwrap();
    let store = RedisStore::open(&server.url())
        .unwrap()
        .with_prefix("bench-queue:");
    let mut trim = client().get_connection().unwrap();
    let mut worker = QueueWorker::new(&webhook, &queue, &store, "bench-worker");
    worker.block = Duration::from_millis(1);
    let mut handled = 0_u64;
    let mut handler = |event: &Event| -> Result<(), String> {
        black_box(event);
        handled += 1;
        Ok(())
    };
    let mut n = 0_u64;
    let (body, signature) = delivery(0);

    let mut group = c.benchmark_group("queue_handoff");
    group.bench_function("construct_event", |b| {
        b.iter(|| {
            black_box(
                webhook
                    .construct_event(black_box(&body), &signature)
                    .unwrap(),
            )
        })
    });
    // The receiver alone: each message stays in the stream (no worker), so
    // the stream is emptied between batches, outside the timed part.
    group.bench_function("receive", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let (body, signature) = delivery(n);
                let headers = [("X-Bullseye-Signature", signature.as_str())];
                let start = Instant::now();
                let answer = receive(&webhook, &queue, &store, &body, &headers, None);
                took += start.elapsed();
                assert_eq!(answer.status, 202, "{}", answer.body);
            }
            let _: u64 = redis::cmd("XTRIM")
                .arg(queue.stream())
                .arg("MAXLEN")
                .arg(0)
                .query(&mut trim)
                .unwrap();
            took
        })
    });
    // The worker's side of one message: the receiver queues it untimed.
    group.bench_function("worker", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let (body, signature) = delivery(n);
                let headers = [("X-Bullseye-Signature", signature.as_str())];
                let answer = receive(&webhook, &queue, &store, &body, &headers, None);
                assert_eq!(answer.status, 202, "{}", answer.body);
                let start = Instant::now();
                let processed = worker.run_once(&mut handler).unwrap();
                took += start.elapsed();
                assert_eq!(processed, 1, "the worker did not take the message");
            }
            took
        })
    });
    group.finish();
    assert!(handled > 0, "no message was handled");
}

criterion_group!(benches, bench);
criterion_main!(benches);
