//! The Redis Streams hand-off in Rust against a real redis-server started
//! by the test: the receiver answers at once, a worker handles each
//! delivery once, retries then dead-letters with the reason, and takes over
//! the message a crashed consumer left pending.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{Claim, DeliveryStore};
use bullseye_webhooks::{Event, Webhook, sign};
use bullseye_webhooks_redis::RedisStore;
use bullseye_webhooks_redis::queue::{QueueWorker, RedisStreamQueue, receive};
use redis::Commands;
use redis_server::RedisServer;

const SECRET: &str = "whsec_rust_queue_tests";

fn parts(server: &RedisServer, name: &str) -> (RedisStreamQueue, RedisStore, Webhook) {
    let url = server.url();
    let queue = RedisStreamQueue::new(redis::Client::open(url.as_str()).unwrap())
        .with_stream(format!("test:{{{name}}}"));
    let store = RedisStore::open(&url)
        .unwrap()
        .with_prefix(format!("test:{name}:"));
    (queue, store, Webhook::new(SECRET).unwrap())
}

fn delivery(session: &str) -> (Vec<u8>, String) {
    let body = format!(
        r#"{{"event_type":"visitor.identified","organization_id":"org_r","session_id":"{session}"}}"#
    );
    let signature = sign(SECRET, body.as_bytes());
    (body.into_bytes(), signature)
}

fn key_of(session: &str) -> String {
    format!("bullseye:org_r:visitor.identified:{session}")
}

fn send(
    webhook: &Webhook,
    queue: &RedisStreamQueue,
    store: &RedisStore,
    session: &str,
) -> (u16, String) {
    let (body, signature) = delivery(session);
    let headers = [("X-Bullseye-Signature", signature.as_str())];
    let answer = receive(webhook, queue, store, &body, &headers, None);
    (answer.status, answer.body)
}

fn until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
    }
}

#[test]
fn the_receiver_answers_at_once_and_a_worker_handles_each_delivery_once() {
    let server = RedisServer::start();
    let (queue, store, webhook) = parts(&server, "once");
    assert_eq!(
        send(&webhook, &queue, &store, "s1"),
        (202, r#"{"queued":true}"#.to_owned())
    );
    assert_eq!(send(&webhook, &queue, &store, "s1").0, 409);
    let mut worker = QueueWorker::new(&webhook, &queue, &store, "rust-1");
    worker.block = Duration::from_millis(50);
    let mut handled: Vec<String> = Vec::new();
    let mut handler = |event: &Event| -> Result<(), String> {
        handled.push(event.delivery_key());
        Ok(())
    };
    until(
        || worker.run_once(&mut handler).unwrap() == 1,
        "nothing was handled",
    );
    assert_eq!(worker.run_once(&mut handler).unwrap(), 0);
    assert_eq!(handled, [key_of("s1")]);
    assert_eq!(
        send(&webhook, &queue, &store, "s1"),
        (200, r#"{"duplicate":true}"#.to_owned())
    );
    let left: usize = redis::cmd("XLEN")
        .arg(queue.stream())
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn failures_are_retried_then_dead_lettered_with_the_reason_and_the_claim_released() {
    let server = RedisServer::start();
    let (queue, store, webhook) = parts(&server, "dead");
    assert_eq!(send(&webhook, &queue, &store, "s2").0, 202);
    let mut worker = QueueWorker::new(&webhook, &queue, &store, "rust-2");
    worker.block = Duration::from_millis(50);
    worker.max_attempts = 3;
    worker.retry_delay = Duration::from_millis(50);
    let mut calls = 0;
    let mut handler = |_: &Event| -> Result<(), String> {
        calls += 1;
        Err("the CRM said no".to_owned())
    };
    let mut connection = server.connection();
    until(
        || {
            worker.run_once(&mut handler).unwrap();
            connection.exists::<_, bool>(queue.dead_letters()).unwrap()
        },
        "nothing was dead-lettered",
    );
    assert_eq!(calls, 3);
    let dead: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
        .arg(queue.dead_letters())
        .arg("-")
        .arg("+")
        .query(&mut connection)
        .unwrap();
    let [(_, fields)] = dead.as_slice() else {
        panic!("one dead letter, got {}", dead.len())
    };
    let field = |name: &str| -> String {
        let at = fields.iter().position(|f| f == name).unwrap();
        fields[at + 1].clone()
    };
    assert_eq!(field("attempts"), "3");
    assert_eq!(field("reason"), "the CRM said no");
    assert!(field("envelope").contains(&key_of("s2")));
    assert!(matches!(
        store
            .claim(&key_of("s2"), "", Duration::from_secs(60))
            .unwrap(),
        Claim::New { .. }
    ));
}

#[test]
fn a_message_left_by_a_crashed_consumer_is_taken_over_and_handled_once() {
    let server = RedisServer::start();
    let (queue, store, webhook) = parts(&server, "crash");
    assert_eq!(send(&webhook, &queue, &store, "s3").0, 202);
    queue.ensure_group().unwrap();
    // A consumer reads the message and dies before settling it.
    let taken = queue
        .read("crashed", 10, Duration::from_millis(50))
        .unwrap();
    assert_eq!(taken.len(), 1);
    let mut worker = QueueWorker::new(&webhook, &queue, &store, "rust-3");
    worker.block = Duration::from_millis(50);
    worker.claim_idle = Duration::from_millis(300);
    let mut handled: Vec<String> = Vec::new();
    let mut handler = |event: &Event| -> Result<(), String> {
        handled.push(event.delivery_key());
        Ok(())
    };
    // Not before it has been idle that long: nothing new to read meanwhile.
    assert_eq!(worker.run_once(&mut handler).unwrap(), 0);
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(worker.run_once(&mut handler).unwrap(), 1);
    assert_eq!(worker.run_once(&mut handler).unwrap(), 0);
    assert_eq!(handled, [key_of("s3")]);
}
