//! Against a real redis-server: the conflict outcome (the same key with a
//! different body) on every path, records of the format before the hash,
//! `handle_once` on Redis, and a claim sent while Redis is paused, which
//! lands when it resumes and is released in the background by its token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{
    Claim, Completion, DEFAULT_LEASE, DEFAULT_RETENTION, DedupeOptions, DeliveryStore, Handled,
    OnConflict, conflict_key, handle_once,
};
use bullseye_webhooks_redis::{AsyncRedisStore, RedisStore};
use redis::Commands;
use redis_server::RedisServer;

const PREFIX: &str = "bullseye-webhooks:delivery:";
/// The hex SHA-256 of `{}` and of `[]` (Python's hashlib).
const H: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OTHER: &str = "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
const HOUR: Duration = Duration::from_secs(3600);

fn new_token(claim: Claim) -> String {
    match claim {
        Claim::New { token } => token,
        other => panic!("expected a new claim, got {other:?}"),
    }
}

#[test]
fn conflict_on_every_path() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url()).unwrap();
    // New: the claim keeps the hash.
    let token = new_token(store.claim("k", H, DEFAULT_LEASE).unwrap());
    let stored: String = server.connection().get(format!("{PREFIX}k")).unwrap();
    assert_eq!(stored, format!("w:{token}:{H}"));
    // In flight, another body.
    assert_eq!(
        store.claim("k", OTHER, DEFAULT_LEASE).unwrap(),
        Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: true
        }
    );
    assert!(matches!(
        store.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::InFlight { .. }
    ));
    // Done, another body; the same body is a duplicate.
    assert_eq!(
        store.complete("k", &token, H, DEFAULT_RETENTION).unwrap(),
        Completion::Done
    );
    assert_eq!(
        store.claim("k", OTHER, DEFAULT_LEASE).unwrap(),
        Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: false
        }
    );
    assert_eq!(
        store.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::Duplicate
    );
}

#[test]
fn records_without_a_hash_read_as_the_same_body() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url()).unwrap();
    let mut connection = server.connection();
    // Written by a receiver of the format before the hash.
    let old = "ab".repeat(16);
    let _: () = connection
        .set_ex(format!("{PREFIX}claimed"), format!("w:{old}"), 60)
        .unwrap();
    let _: () = connection
        .set_ex(format!("{PREFIX}done"), "done", 60)
        .unwrap();
    assert!(matches!(
        store.claim("claimed", OTHER, DEFAULT_LEASE).unwrap(),
        Claim::InFlight { .. }
    ));
    assert_eq!(
        store.claim("done", OTHER, DEFAULT_LEASE).unwrap(),
        Claim::Duplicate
    );
    // The old claim's holder can still complete and release its own claim.
    assert_eq!(
        store
            .complete("claimed", &old, H, DEFAULT_RETENTION)
            .unwrap(),
        Completion::Done
    );
    let _: () = connection
        .set_ex(format!("{PREFIX}again"), format!("w:{old}"), 60)
        .unwrap();
    assert!(store.release("again", &old).unwrap());
}

#[test]
fn handle_once_on_redis_refuses_or_processes_a_conflict() {
    let server = RedisServer::start();
    let store = Arc::new(RedisStore::open(&server.url()).unwrap());
    let refuse = DedupeOptions::default();
    let first: Handled<(), ()> = handle_once(&store, "k", H, refuse, || Ok(()));
    assert!(matches!(
        first,
        Handled::Done {
            store_error: None,
            ..
        }
    ));
    let refused: Handled<(), ()> = handle_once(&store, "k", OTHER, refuse, || panic!("called"));
    assert!(matches!(
        refused,
        Handled::Conflict {
            in_flight: false,
            ..
        }
    ));
    let process = refuse.with_on_conflict(OnConflict::Process);
    let mut calls = 0;
    for _ in 0..2 {
        let _: Handled<(), ()> = handle_once(&store, "k", OTHER, process, || {
            calls += 1;
            Ok(())
        });
    }
    assert_eq!(
        calls, 1,
        "the other body is handled once, under its own key"
    );
    let stored: String = server
        .connection()
        .get(format!("{PREFIX}{}", conflict_key("k", OTHER)))
        .unwrap();
    assert_eq!(stored, format!("done:{OTHER}"));
}

/// Claim `key` until it is new (the late claim released) or 20 s pass:
/// far less than the hour-long lease the paused claim took.
fn claim_once_released(store: &RedisStore, key: &str) -> Claim {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let claim = store.claim(key, H, HOUR).unwrap();
        if !matches!(claim, Claim::InFlight { .. }) || Instant::now() > deadline {
            return claim;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_claim_sent_while_redis_is_paused_is_released_once_it_lands() {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url())
        .unwrap()
        .with_connect_timeout(Duration::from_millis(300))
        .with_response_timeout(Duration::from_millis(300));
    // The scripts are loaded, so the paused claim is one EVALSHA.
    new_token(store.claim("warm", H, DEFAULT_LEASE).unwrap());

    server.signal("STOP");
    let error = store.claim("k", H, HOUR).unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    thread::sleep(Duration::from_secs(2));
    server.signal("CONT");

    // Redis ran the paused claim when it resumed (an hour's lease); the
    // background release freed it, so the next copy is processed.
    assert!(matches!(
        claim_once_released(&store, "k"),
        Claim::New { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_store_releases_a_paused_claim_too() {
    let server = RedisServer::start();
    let client = redis::Client::open(server.url()).unwrap();
    let timeout = Duration::from_millis(300);
    let store = AsyncRedisStore::with_timeouts(client, timeout, timeout).unwrap();
    new_token(store.claim("warm", H, DEFAULT_LEASE).await.unwrap());

    server.signal("STOP");
    let error = store.claim("k", H, HOUR).await.unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.signal("CONT");

    let deadline = Instant::now() + Duration::from_secs(20);
    let claim = loop {
        let claim = store.claim("k", H, HOUR).await;
        match claim {
            Ok(Claim::InFlight { .. }) | Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other.unwrap(),
        }
    };
    assert!(matches!(claim, Claim::New { .. }), "{claim:?}");
}
