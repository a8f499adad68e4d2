//! The claim protocol against a real redis-server started by the test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{
    Claim, Completion, DEFAULT_LEASE, DEFAULT_RETENTION, DeliveryStore, REDIS_CLAIM_SCRIPT,
};
use bullseye_webhooks_redis::RedisStore;
use redis::Commands;
use redis_server::RedisServer;

const PREFIX: &str = "bullseye-webhooks:delivery:";
/// A body hash (the hex SHA-256 of `{}`), and the done mark that keeps it.
const H: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const DONE: &str = "done:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn new_token(claim: Claim) -> String {
    match claim {
        Claim::New { token } => token,
        other => panic!("expected a new claim, got {other:?}"),
    }
}

fn value(server: &RedisServer, key: &str) -> Option<String> {
    server.connection().get(format!("{PREFIX}{key}")).unwrap()
}

fn pttl(server: &RedisServer, key: &str) -> i64 {
    server.connection().pttl(format!("{PREFIX}{key}")).unwrap()
}

#[test]
fn new_in_flight_done_duplicate() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url()).unwrap();

    let token = new_token(store.claim("k", H, DEFAULT_LEASE).unwrap());
    assert_eq!(token.len(), 32);
    assert_eq!(value(&server, "k"), Some(format!("w:{token}:{H}")));
    let ttl = pttl(&server, "k");
    assert!((59_000..=60_000).contains(&ttl), "lease PTTL {ttl}");

    // Another worker: in flight, with what remains of the lease.
    let again = store.claim("k", H, DEFAULT_LEASE).unwrap();
    let Claim::InFlight { retry_after } = again else {
        panic!("expected in flight, got {again:?}");
    };
    assert!(retry_after <= DEFAULT_LEASE && retry_after > Duration::from_secs(58));
    assert_eq!(again.retry_after_secs(), Some(60));

    assert_eq!(
        store.complete("k", &token, H, DEFAULT_RETENTION).unwrap(),
        Completion::Done
    );
    assert_eq!(value(&server, "k").as_deref(), Some(DONE));
    let ttl = pttl(&server, "k");
    assert!(
        (86_399_000..=86_400_000).contains(&ttl),
        "retention PTTL {ttl}"
    );
    assert_eq!(
        store.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::Duplicate
    );
    // Done is final: neither release nor complete changes it.
    assert!(!store.release("k", &token).unwrap());
    assert_eq!(
        store.complete("k", &token, H, DEFAULT_RETENTION).unwrap(),
        Completion::NotHeld
    );
    assert_eq!(value(&server, "k").as_deref(), Some(DONE));
}

#[test]
fn release_by_another_token_does_nothing() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url()).unwrap();
    let token = new_token(store.claim("k", H, DEFAULT_LEASE).unwrap());
    let wrong = "0".repeat(32);
    assert!(!store.release("k", &wrong).unwrap());
    assert_eq!(value(&server, "k"), Some(format!("w:{token}:{H}")));
    assert_eq!(
        store.complete("k", &wrong, H, DEFAULT_RETENTION).unwrap(),
        Completion::NotHeld
    );
    assert_eq!(value(&server, "k"), Some(format!("w:{token}:{H}")));

    assert!(store.release("k", &token).unwrap());
    assert_eq!(value(&server, "k"), None);
    // Released: the sender's retry is handled.
    new_token(store.claim("k", H, DEFAULT_LEASE).unwrap());
}

#[test]
fn an_expired_lease_is_retaken_and_the_first_worker_cannot_touch_it() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url()).unwrap();
    let lease = Duration::from_millis(200);
    let crashed = new_token(store.claim("k", H, lease).unwrap());
    thread::sleep(Duration::from_millis(300));
    let retaken = new_token(store.claim("k", H, DEFAULT_LEASE).unwrap());
    assert_ne!(crashed, retaken);
    assert!(!store.release("k", &crashed).unwrap());
    assert_eq!(
        store.complete("k", &crashed, H, DEFAULT_RETENTION).unwrap(),
        Completion::NotHeld
    );
    assert_eq!(value(&server, "k"), Some(format!("w:{retaken}:{H}")));
    assert_eq!(
        store.complete("k", &retaken, H, DEFAULT_RETENTION).unwrap(),
        Completion::Done
    );
}

#[test]
fn complete_after_the_lease_expired_still_marks_it_done() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url()).unwrap();
    let slow = new_token(store.claim("k", H, Duration::from_millis(200)).unwrap());
    thread::sleep(Duration::from_millis(300));
    assert_eq!(value(&server, "k"), None, "Redis expired the lease");
    assert_eq!(
        store.complete("k", &slow, H, DEFAULT_RETENTION).unwrap(),
        Completion::LeaseExpired
    );
    assert_eq!(value(&server, "k").as_deref(), Some(DONE));
    assert_eq!(
        store.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::Duplicate
    );
}

#[test]
fn a_retried_claim_with_the_same_token_is_still_new() {
    // A claim whose reply was lost, sent again with its token: new, and the
    // lease is not extended.
    let server = RedisServer::start();
    let mut connection = server.connection();
    let script = redis::Script::new(REDIS_CLAIM_SCRIPT);
    let key = format!("{PREFIX}k");
    let token = "ab".repeat(16);
    let first: (i64, String) = script
        .key(&key)
        .arg(&token)
        .arg(60_000)
        .arg(H)
        .invoke(&mut connection)
        .unwrap();
    let (again, _): (i64, String) = script
        .key(&key)
        .arg(&token)
        .arg(90_000)
        .arg(H)
        .invoke(&mut connection)
        .unwrap();
    let (other, _): (i64, String) = script
        .key(&key)
        .arg("cd".repeat(16))
        .arg(60_000)
        .arg(H)
        .invoke(&mut connection)
        .unwrap();
    assert_eq!((first, again), ((0, String::new()), 0));
    assert!(
        (59_000..=60_000).contains(&other),
        "in flight for {other} ms"
    );
}

#[test]
fn keys_carry_the_prefix() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url())
        .unwrap()
        .with_prefix("app1:");
    assert_eq!(store.prefix(), "app1:");
    let token = new_token(store.claim("bullseye:o:t:s", H, DEFAULT_LEASE).unwrap());
    let stored: Option<String> = server.connection().get("app1:bullseye:o:t:s").unwrap();
    assert_eq!(stored, Some(format!("w:{token}:{H}")));
    // Another prefix is another namespace.
    let other = RedisStore::open(&server.url()).unwrap();
    new_token(other.claim("bullseye:o:t:s", H, DEFAULT_LEASE).unwrap());
}

#[test]
fn one_claim_wins_among_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RedisStore>();

    let server = RedisServer::start();
    let store = Arc::new(RedisStore::open(&server.url()).unwrap());
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                (0..200)
                    .filter(|i| {
                        matches!(
                            store.claim(&format!("key-{i}"), H, DEFAULT_LEASE).unwrap(),
                            Claim::New { .. }
                        )
                    })
                    .count()
            })
        })
        .collect();
    let won: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(won, 200, "each key is new exactly once");
}

#[test]
fn a_killed_server_is_unavailable_within_the_timeout_then_recovers() {
    let mut server = RedisServer::start();
    let store = RedisStore::open(&server.url())
        .unwrap()
        .with_connect_timeout(Duration::from_millis(500))
        .with_response_timeout(Duration::from_millis(500));
    let token = new_token(store.claim("before", H, DEFAULT_LEASE).unwrap());

    server.kill();
    let started = Instant::now();
    let error = store.claim("during", H, DEFAULT_LEASE).unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.code(), "store_unavailable");
    assert!(
        error
            .to_string()
            .starts_with("store_unavailable: redis claim"),
        "{error}"
    );
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    let error = store
        .complete("before", &token, H, DEFAULT_RETENTION)
        .unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    assert_eq!(
        store.release("before", &token).unwrap_err().code(),
        "store_unavailable"
    );

    // Back (empty, no persistence): the store reconnects and loads its
    // scripts again.
    server.restart();
    new_token(store.claim("during", H, DEFAULT_LEASE).unwrap());
    new_token(store.claim("before", H, DEFAULT_LEASE).unwrap());
}

#[test]
fn a_server_that_stops_answering_times_out() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url())
        .unwrap()
        .with_connect_timeout(Duration::from_millis(300))
        .with_response_timeout(Duration::from_millis(300));
    new_token(store.claim("a", H, DEFAULT_LEASE).unwrap());

    server.signal("STOP");
    // A pooled connection, then a new one (the kernel still accepts it).
    for key in ["b", "c"] {
        let started = Instant::now();
        let error = store.claim(key, H, DEFAULT_LEASE).unwrap_err();
        let took = started.elapsed();
        assert_eq!(error.code(), "store_unavailable");
        assert!(error.to_string().contains("timed out"), "{error}");
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
            "took {took:?}"
        );
    }
    server.signal("CONT");
    new_token(store.claim("d", H, DEFAULT_LEASE).unwrap());
}

#[test]
fn urls_and_passwords_stay_out_of_errors_and_debug() {
    let error = RedisStore::open("not a url with s3cret").unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    assert!(!error.to_string().contains("s3cret"), "{error}");
    let store = RedisStore::open("redis://:s3cret@127.0.0.1:1/").unwrap();
    let debug = format!("{store:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(
        debug.starts_with("RedisStore { prefix: \"bullseye-webhooks:delivery:\""),
        "{debug}"
    );
    // Nothing listens on port 1: refused, quickly.
    let error = store.claim("k", H, DEFAULT_LEASE).unwrap_err();
    assert!(!error.to_string().contains("s3cret"), "{error}");
}
