//! AsyncRedisStore (feature `tokio`) against a real redis-server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{Claim, Completion, DEFAULT_LEASE, DEFAULT_RETENTION};
use bullseye_webhooks_redis::AsyncRedisStore;
use redis::Commands;
use redis_server::RedisServer;

/// A body hash (the hex SHA-256 of `{}`).
const H: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn new_token(claim: Claim) -> String {
    match claim {
        Claim::New { token } => token,
        other => panic!("expected a new claim, got {other:?}"),
    }
}

fn store(server: &RedisServer, timeout: Duration) -> AsyncRedisStore {
    let client = redis::Client::open(server.url()).unwrap();
    AsyncRedisStore::with_timeouts(client, timeout, timeout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_on_tokio() {
    let server = RedisServer::start();
    let store = store(&server, Duration::from_secs(1)).with_prefix("t:");
    assert_eq!(store.prefix(), "t:");

    let token = new_token(store.claim("k", H, DEFAULT_LEASE).await.unwrap());
    let stored: Option<String> = server.connection().get("t:k").unwrap();
    assert_eq!(stored, Some(format!("w:{token}:{H}")));
    let in_flight = store.claim("k", H, DEFAULT_LEASE).await.unwrap();
    assert_eq!(in_flight.retry_after_secs(), Some(60));
    assert!(!store.release("k", &"0".repeat(32)).await.unwrap());
    assert!(store.release("k", &token).await.unwrap());

    let token = new_token(store.claim("k", H, DEFAULT_LEASE).await.unwrap());
    assert_eq!(
        store
            .complete("k", &token, H, DEFAULT_RETENTION)
            .await
            .unwrap(),
        Completion::Done
    );
    assert_eq!(
        store.claim("k", H, DEFAULT_LEASE).await.unwrap(),
        Claim::Duplicate
    );

    // Concurrent claims on clones: one winner per key.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut won = 0;
            for i in 0..100 {
                if let Claim::New { .. } = store
                    .claim(&format!("c{i}"), H, DEFAULT_LEASE)
                    .await
                    .unwrap()
                {
                    won += 1;
                }
            }
            won
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += task.await.unwrap();
    }
    assert_eq!(won, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_then_restarted() {
    let mut server = RedisServer::start();
    let timeout = Duration::from_millis(300);
    let store = store(&server, timeout);
    new_token(store.claim("a", H, DEFAULT_LEASE).await.unwrap());

    server.kill();
    for key in ["b", "c"] {
        let started = Instant::now();
        let error = store.claim(key, H, DEFAULT_LEASE).await.unwrap_err();
        assert_eq!(error.code(), "store_unavailable");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1000), "took {took:?}");
    }

    server.restart();
    // The manager reconnects in the background: within a few calls.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match store.claim("b", H, DEFAULT_LEASE).await {
            Ok(claim) => {
                new_token(claim);
                break;
            }
            Err(error) => {
                assert!(Instant::now() < deadline, "not back after 5 s: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_times_out() {
    let server = RedisServer::start();
    let store = store(&server, Duration::from_millis(300));
    new_token(store.claim("a", H, DEFAULT_LEASE).await.unwrap());
    server.signal("STOP");
    let started = Instant::now();
    let error = store.claim("b", H, DEFAULT_LEASE).await.unwrap_err();
    let took = started.elapsed();
    server.signal("CONT");
    assert_eq!(error.code(), "store_unavailable");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1000),
        "took {took:?}"
    );
}
