//! `handle_once`: the claim flow around a handler, on the memory store and
//! on stores that fail; and the conflict outcome (the same key with a
//! different body) on every path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{
    self, Answer, Claim, Completion, DEFAULT_LEASE, DEFAULT_RETENTION, DedupeOptions,
    DeliveryStore, Handled, MemoryStore, OnConflict, OnStoreError, StoreError, handle_once,
};
use bullseye_webhooks::{Webhook, sign};

/// The hex SHA-256 of `{}` and of `[]` (Python's hashlib).
const H: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OTHER: &str = "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
const SEC: Duration = Duration::from_secs(1);

/// A store that cannot be reached.
struct Down;

impl DeliveryStore for Down {
    fn claim(&self, _: &str, _: &str, _: Duration) -> Result<Claim, StoreError> {
        Err(StoreError::new("down"))
    }
    fn complete(&self, _: &str, _: &str, _: &str, _: Duration) -> Result<Completion, StoreError> {
        Err(StoreError::new("down"))
    }
    fn release(&self, _: &str, _: &str) -> Result<bool, StoreError> {
        Err(StoreError::new("down"))
    }
}

#[test]
fn handle_once_calls_the_handler_once_and_answers_the_rest() {
    let store = Arc::new(MemoryStore::new());
    let options = DedupeOptions::default();
    let mut calls = 0;

    let first: Handled<&str, ()> = handle_once(&store, "k", H, options, || {
        calls += 1;
        Ok("handled")
    });
    assert!(matches!(
        first,
        Handled::Done {
            value: "handled",
            store_error: None
        }
    ));
    assert_eq!(first.answer(), None);

    let again: Handled<&str, ()> = handle_once(&store, "k", H, options, || {
        calls += 1;
        Ok("twice")
    });
    assert!(matches!(again, Handled::Duplicate));
    assert_eq!(
        again.answer(),
        Some(Answer {
            status: 200,
            body: r#"{"duplicate":true}"#,
            retry_after_secs: None
        })
    );
    assert_eq!(calls, 1);
}

#[test]
fn handle_once_releases_a_failed_delivery_for_the_retry() {
    let store = Arc::new(MemoryStore::new());
    let options = DedupeOptions::default();
    let failed: Handled<(), &str> = handle_once(&store, "k", H, options, || Err("boom"));
    assert!(matches!(
        failed,
        Handled::Failed {
            error: "boom",
            store_error: None
        }
    ));
    let retried: Handled<u8, ()> = handle_once(&store, "k", H, options, || Ok(7));
    assert!(matches!(
        retried,
        Handled::Done {
            value: 7,
            store_error: None
        }
    ));
}

#[test]
fn handle_once_answers_409_while_another_worker_holds_it() {
    let store = Arc::new(MemoryStore::new());
    let options = DedupeOptions::default().with_lease(Duration::from_secs(90));
    let Claim::New { .. } = store.claim("k", H, Duration::from_millis(59_500)).unwrap() else {
        panic!("new");
    };
    let mut called = false;
    let busy: Handled<(), ()> = handle_once(&store, "k", H, options, || {
        called = true;
        Ok(())
    });
    assert!(!called);
    assert_eq!(
        busy.answer(),
        Some(Answer {
            status: 409,
            body: r#"{"error":"delivery_in_flight"}"#,
            retry_after_secs: Some(60),
        })
    );
}

#[test]
fn handle_once_with_the_store_down() {
    let down = Arc::new(Down);
    let mut called = false;
    let refused: Handled<(), ()> = handle_once(&down, "k", H, DedupeOptions::default(), || {
        called = true;
        Ok(())
    });
    assert!(!called, "refused: the sender retries later");
    assert_eq!(
        refused.answer(),
        Some(Answer {
            status: 503,
            body: r#"{"error":"store_unavailable"}"#,
            retry_after_secs: Some(30),
        })
    );

    let open = DedupeOptions::default().with_on_store_error(OnStoreError::Process);
    let processed: Handled<u8, ()> = handle_once(&down, "k", H, open, || Ok(1));
    match processed {
        Handled::Done {
            value: 1,
            store_error: Some(error),
        } => {
            assert_eq!(error.to_string(), "store_unavailable: down");
        }
        other => panic!("expected Done with the store error, got {other:?}"),
    }
}

#[test]
fn body_hash_is_the_hex_sha256_of_the_raw_body() {
    assert_eq!(delivery::body_hash(b"{}"), H);
    assert_eq!(delivery::body_hash(b"[]"), OTHER);
    // An event's hash is its body's, byte for byte (spacing included).
    let body = br#"{ "event_type": "visitor.identified", "session_id": "s1" }"#;
    let webhook = Webhook::new("whsec_conflict").unwrap();
    let event = webhook
        .construct_event(body, &sign("whsec_conflict", body))
        .unwrap();
    // hashlib.sha256(body).hexdigest()
    assert_eq!(
        event.body_hash(),
        "028eec7bfd40136d091b127bd6f8b76d3e504c4bf9995dc3e9ccd8dd14d242b3"
    );
    assert_eq!(
        delivery::conflict_key("bullseye:o:t:s", H),
        format!("bullseye:o:t:s#{H}")
    );
}

#[test]
fn memory_store_conflict_on_every_path() {
    let store = MemoryStore::new();
    let t0 = Instant::now();
    // New: the claim keeps the hash; the same body again is in flight.
    let token = match store.claim_at("k", H, 60 * SEC, t0).unwrap() {
        Claim::New { token } => token,
        other => panic!("expected new, got {other:?}"),
    };
    assert!(matches!(
        store.claim_at("k", H, 60 * SEC, t0 + SEC).unwrap(),
        Claim::InFlight { .. }
    ));
    // In flight, another body: a conflict naming the stored hash.
    assert_eq!(
        store.claim_at("k", OTHER, 60 * SEC, t0 + SEC).unwrap(),
        Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: true
        }
    );
    // Done, another body: a conflict; the same body: a duplicate.
    store
        .complete_at("k", &token, H, DEFAULT_RETENTION, t0 + 2 * SEC)
        .unwrap();
    assert_eq!(
        store.claim_at("k", OTHER, 60 * SEC, t0 + 3 * SEC).unwrap(),
        Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: false
        }
    );
    assert_eq!(
        store.claim_at("k", H, 60 * SEC, t0 + 3 * SEC).unwrap(),
        Claim::Duplicate
    );
    // An unknown hash (empty) is never a conflict.
    assert_eq!(
        store.claim_at("k", "", 60 * SEC, t0 + 3 * SEC).unwrap(),
        Claim::Duplicate
    );
}

#[test]
fn handle_once_refuses_a_conflict_on_every_path() {
    let store = Arc::new(MemoryStore::new());
    let options = DedupeOptions::default();
    let calls = AtomicUsize::new(0);
    let handler = || {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ()>(())
    };
    // New: handled, and its done mark keeps the hash.
    let first = handle_once(&store, "k", H, options, handler);
    assert!(matches!(first, Handled::Done { .. }));
    // Done: another body is refused with both hashes.
    let done = handle_once(&store, "k", OTHER, options, handler);
    match &done {
        Handled::Conflict {
            body_hash,
            stored_hash,
            in_flight: false,
        } => {
            assert_eq!((body_hash.as_str(), stored_hash.as_str()), (OTHER, H));
        }
        other => panic!("expected a conflict with the done key, got {other:?}"),
    }
    assert_eq!(
        done.answer(),
        Some(Answer {
            status: 409,
            body: r#"{"error":"delivery_conflict"}"#,
            retry_after_secs: None,
        })
    );
    // In flight: another worker holds "j" with H; OTHER is a conflict.
    assert!(matches!(
        store.claim("j", H, DEFAULT_LEASE).unwrap(),
        Claim::New { .. }
    ));
    let busy = handle_once(&store, "j", OTHER, options, handler);
    assert!(matches!(
        busy,
        Handled::Conflict {
            in_flight: true,
            ..
        }
    ));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the first was handled"
    );
}

#[test]
fn handle_once_processes_a_conflict_as_its_own_delivery_when_asked() {
    let store = Arc::new(MemoryStore::new());
    let options = DedupeOptions::default().with_on_conflict(OnConflict::Process);
    let calls = AtomicUsize::new(0);
    let handler = || {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ()>(())
    };
    assert!(matches!(
        handle_once(&store, "k", H, options, handler),
        Handled::Done { .. }
    ));
    // Another body: handled once, under its own key; again: a duplicate.
    assert!(matches!(
        handle_once(&store, "k", OTHER, options, handler),
        Handled::Done {
            store_error: None,
            ..
        }
    ));
    assert!(matches!(
        handle_once(&store, "k", OTHER, options, handler),
        Handled::Duplicate
    ));
    assert!(matches!(
        handle_once(&store, "k", H, options, handler),
        Handled::Duplicate
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        store
            .claim(&delivery::conflict_key("k", OTHER), OTHER, DEFAULT_LEASE)
            .unwrap(),
        Claim::Duplicate
    );
}

/// Claims work; marking done fails `failures` times, then works (and says so).
struct CompleteFailsAtFirst {
    inner: MemoryStore,
    failures: Mutex<usize>,
    done: Mutex<mpsc::Sender<Completion>>,
}

impl DeliveryStore for CompleteFailsAtFirst {
    fn claim(&self, key: &str, hash: &str, lease: Duration) -> Result<Claim, StoreError> {
        self.inner.claim(key, hash, lease)
    }
    fn complete(
        &self,
        key: &str,
        token: &str,
        hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError> {
        {
            let mut failures = self.failures.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                return Err(StoreError::new("complete timed out"));
            }
        }
        let completion = self.inner.complete(key, token, hash, retention)?;
        self.done.lock().unwrap().send(completion).unwrap();
        Ok(completion)
    }
    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError> {
        self.inner.release(key, token)
    }
}

#[test]
fn handle_once_retries_a_failed_complete_in_the_background() {
    let (sender, done) = mpsc::channel();
    let store = Arc::new(CompleteFailsAtFirst {
        inner: MemoryStore::new(),
        failures: Mutex::new(3),
        done: Mutex::new(sender),
    });
    let handled: Handled<&str, ()> =
        handle_once(&store, "k", H, DedupeOptions::default(), || Ok("ok"));
    match handled {
        Handled::Done {
            value: "ok",
            store_error: Some(error),
        } => assert_eq!(error.message(), "complete timed out"),
        other => panic!("expected Done with the store error, got {other:?}"),
    }
    // The background thread's fourth try marks it done (as held).
    assert_eq!(
        done.recv_timeout(Duration::from_secs(30)).unwrap(),
        Completion::Done
    );
    assert_eq!(
        store.inner.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::Duplicate
    );
}
