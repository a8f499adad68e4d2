//! The cache of recently completed keys in front of a store, and waiting
//! for a copy in flight (`DedupeOptions::with_wait_for_in_flight`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{
    CachedStore, Claim, Completion, DEFAULT_LEASE, DedupeOptions, DeliveryStore, Handled,
    MemoryStore, RecentlyDone, StoreError, handle_once,
};

/// The hex SHA-256 of `{}` and of `[]` (Python's hashlib).
const H: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OTHER: &str = "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
const SEC: Duration = Duration::from_secs(1);

#[test]
fn recently_done_answers_duplicate_or_conflict_until_the_retention_ends() {
    let recent = RecentlyDone::new(2);
    let t0 = Instant::now();
    assert_eq!(recent.check_at("a", H, t0), None);
    recent.remember_at("a", H, 60 * SEC, t0);
    assert_eq!(recent.check_at("a", H, t0 + SEC), Some(Claim::Duplicate));
    // The fast path checks the body too: another body is a conflict.
    assert_eq!(
        recent.check_at("a", OTHER, t0 + SEC),
        Some(Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: false
        })
    );
    assert_eq!(recent.check_at("a", H, t0 + 60 * SEC), None, "expired");
    // Bounded: the oldest goes first.
    recent.remember_at("b", H, 60 * SEC, t0);
    recent.remember_at("c", H, 60 * SEC, t0);
    assert_eq!(recent.len(), 2);
    assert_eq!(recent.check_at("a", H, t0 + SEC), None);
    assert_eq!(recent.check_at("c", H, t0 + SEC), Some(Claim::Duplicate));
}

/// A memory store that counts the claims that reach it.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    claims: AtomicUsize,
}

impl DeliveryStore for Counting {
    fn claim(&self, key: &str, hash: &str, lease: Duration) -> Result<Claim, StoreError> {
        self.claims.fetch_add(1, Ordering::SeqCst);
        self.inner.claim(key, hash, lease)
    }
    fn complete(
        &self,
        key: &str,
        token: &str,
        hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError> {
        self.inner.complete(key, token, hash, retention)
    }
    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError> {
        self.inner.release(key, token)
    }
}

#[test]
fn a_cached_store_answers_what_this_process_completed_without_the_store() {
    let store = Arc::new(CachedStore::new(Counting::default()));
    let options = DedupeOptions::default();
    let handled: Handled<(), ()> = handle_once(&store, "k", H, options, || Ok(()));
    assert!(matches!(handled, Handled::Done { .. }));
    assert_eq!(store.store().claims.load(Ordering::SeqCst), 1);
    for _ in 0..3 {
        let again: Handled<(), ()> = handle_once(&store, "k", H, options, || panic!("called"));
        assert!(matches!(again, Handled::Duplicate));
    }
    let other: Handled<(), ()> = handle_once(&store, "k", OTHER, options, || panic!("called"));
    assert!(matches!(
        other,
        Handled::Conflict {
            in_flight: false,
            ..
        }
    ));
    assert_eq!(
        store.store().claims.load(Ordering::SeqCst),
        1,
        "the copies were answered from the cache"
    );
    // A key in flight is not cached: the store answers.
    assert!(matches!(
        store.claim("j", H, DEFAULT_LEASE).unwrap(),
        Claim::New { .. }
    ));
    assert!(matches!(
        store.claim("j", H, DEFAULT_LEASE).unwrap(),
        Claim::InFlight { .. }
    ));
    assert_eq!(store.store().claims.load(Ordering::SeqCst), 3);
}

#[test]
fn waiting_for_a_copy_in_flight_answers_duplicate_once_it_is_done() {
    let store = Arc::new(Counting::default());
    let (entered, first_running) = mpsc::channel();
    let (finish, finished) = mpsc::channel::<()>();
    let holder = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            let handled: Handled<(), ()> =
                handle_once(&store, "k", H, DedupeOptions::default(), || {
                    entered.send(()).unwrap();
                    finished.recv().unwrap();
                    Ok(())
                });
            assert!(matches!(handled, Handled::Done { .. }));
        })
    };
    first_running.recv().unwrap();
    // Without waiting: 409 at once.
    let at_once: Handled<(), ()> = handle_once(&store, "k", H, DedupeOptions::default(), || {
        panic!("called")
    });
    assert!(matches!(at_once, Handled::InFlight { .. }));
    // Waiting: the holder finishes meanwhile; a duplicate, the handler not called.
    let waiter = {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            let options = DedupeOptions::default().with_wait_for_in_flight(20 * SEC);
            handle_once::<_, (), ()>(&store, "k", H, options, || panic!("called"))
        })
    };
    // The waiter found it in flight (its first claim is the third) before it ends.
    while store.claims.load(Ordering::SeqCst) < 3 {
        thread::sleep(Duration::from_millis(5));
    }
    finish.send(()).unwrap();
    holder.join().unwrap();
    assert!(matches!(waiter.join().unwrap(), Handled::Duplicate));
}

#[test]
fn waiting_takes_the_claim_when_the_holders_lease_ends() {
    let store = Arc::new(MemoryStore::new());
    // A holder that died: its claim is never completed, its lease is short.
    assert!(matches!(
        store.claim("k", H, Duration::from_millis(300)).unwrap(),
        Claim::New { .. }
    ));
    let options = DedupeOptions::default().with_wait_for_in_flight(20 * SEC);
    let handled: Handled<&str, ()> = handle_once(&store, "k", H, options, || Ok("handled"));
    assert!(matches!(
        handled,
        Handled::Done {
            value: "handled",
            ..
        }
    ));
    // A wait shorter than the lease answers 409 once it has passed.
    assert!(matches!(
        store.claim("j", H, 60 * SEC).unwrap(),
        Claim::New { .. }
    ));
    let short = DedupeOptions::default().with_wait_for_in_flight(Duration::from_millis(200));
    let busy: Handled<(), ()> = handle_once(&store, "j", H, short, || panic!("called"));
    assert!(matches!(busy, Handled::InFlight { .. }));
}
