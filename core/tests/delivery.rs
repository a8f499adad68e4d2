//! De-duplication: the delivery key (expected keys written out by hand, the
//! hashes computed with Python's hashlib), and the claim protocol of the
//! memory store, with the clock moved by the test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bullseye_webhooks::delivery::{
    self, Claim, Completion, DEFAULT_LEASE, DEFAULT_RETENTION, DeliveryStore, MemoryStore,
    StoreError,
};
use bullseye_webhooks::{Webhook, check_visit, parse_visit, sign};

const SECRET: &str = "whsec_dedupe";

/// The key of `body` as an event, by both paths (built and checked), which
/// must agree.
fn event_key(body: &[u8]) -> String {
    let webhook = Webhook::new(SECRET).unwrap();
    let signature = sign(SECRET, body);
    let built = webhook
        .construct_event(body, &signature)
        .unwrap()
        .delivery_key();
    let checked = webhook
        .check_event(body, &signature)
        .unwrap()
        .delivery_key(body);
    assert_eq!(built, checked, "construct_event and check_event disagree");
    built
}

fn visit_key(body: &[u8]) -> String {
    let built = parse_visit(body).unwrap().delivery_key();
    let checked = check_visit(body, false).unwrap().delivery_key(body);
    assert_eq!(built, checked, "parse_visit and check_visit disagree");
    built
}

#[test]
fn an_identification_is_keyed_by_organization_type_and_session() {
    let body = br#"{"event":"visitor.identified","organization_id":"org_123","session_id":"sess_abc","visitor":{"email":"a@b.example"}}"#;
    assert_eq!(
        event_key(body),
        "bullseye:org_123:visitor.identified:sess_abc"
    );
    // Another body of the same session (a retry re-serialised) has the same key.
    let retry = br#"{"session_id":"sess_abc","organization_id":"org_123","event_type":"visitor.identified"}"#;
    assert_eq!(
        event_key(retry),
        "bullseye:org_123:visitor.identified:sess_abc"
    );
}

#[test]
fn a_session_id_is_read_leniently_as_every_string_field() {
    // An integer is its decimal text; an absent organization is empty.
    let body = br#"{"event":"visitor.identified","session_id":12345}"#;
    assert_eq!(event_key(body), "bullseye::visitor.identified:12345");
    // A repeated key: the last occurrence counts, as for every field.
    let body = br#"{"event":"visitor.identified","session_id":"a","session_id":"b","organization_id":"o"}"#;
    assert_eq!(event_key(body), "bullseye:o:visitor.identified:b");
    // Escaped in JSON, the decoded text is what counts.
    let body = br#"{"event":"visitor.identified","session_id":"s\u0031","organization_id":"o"}"#;
    assert_eq!(event_key(body), "bullseye:o:visitor.identified:s1");
}

#[test]
fn a_generic_event_with_a_session_is_keyed_by_it() {
    let body =
        br#"{"event_type":"billing.invoice_paid","organization_id":"org_1","session_id":"s9"}"#;
    assert_eq!(event_key(body), "bullseye:org_1:billing.invoice_paid:s9");
    // Its fields read as an identification's do: an integer is its decimal
    // text, and the last occurrence counts.
    let body = br#"{"event_type":"billing.invoice_paid","organization_id":"org_1","session_id":9,"organization_id":"org_2"}"#;
    assert_eq!(event_key(body), "bullseye:org_2:billing.invoice_paid:9");
}

#[test]
fn an_event_without_a_session_is_keyed_by_its_body() {
    let body = br#"{"event":"billing.paid","amount":5}"#;
    assert_eq!(
        event_key(body),
        "sha256:3eb8f3135114fefeceeeed251511adcdbdd23d4b188e52eb6979dca89db18cc1"
    );
    // An empty session, or one of another type, is no session.
    for body in [
        &br#"{"event":"visitor.identified","session_id":""}"#[..],
        &br#"{"event":"visitor.identified","session_id":{"id":"x"}}"#[..],
        &br#"{"event":"visitor.identified","session_id":null}"#[..],
    ] {
        assert!(event_key(body).starts_with("sha256:"), "{body:?}");
    }
}

#[test]
fn components_are_escaped_so_no_key_forges_another() {
    // `organization_id = "a:b", event_type = "c"` against
    // `organization_id = "a", event_type = "b:c"`: two keys.
    let one = br#"{"event":"c","organization_id":"a:b","session_id":"s"}"#;
    let two = br#"{"event":"b:c","organization_id":"a","session_id":"s"}"#;
    assert_eq!(event_key(one), "bullseye:a%3Ab:c:s");
    assert_eq!(event_key(two), "bullseye:a:b%3Ac:s");
    // `%` itself is escaped, so an escape sent as text stays distinct.
    let three = br#"{"event":"c","organization_id":"a%3Ab","session_id":"s"}"#;
    assert_eq!(event_key(three), "bullseye:a%253Ab:c:s");
    // Non-ASCII and spaces, byte by byte, uppercase hex.
    assert_eq!(delivery::escape_key_component("é x/"), "%C3%A9%20x%2F");
    assert_eq!(delivery::escape_key_component("A-z.0_9~"), "A-z.0_9~");
}

#[test]
fn long_components_are_hashed_and_keys_bounded() {
    let max = "s".repeat(64);
    assert_eq!(delivery::escape_key_component(&max), max);
    assert_eq!(
        delivery::escape_key_component(&"s".repeat(65)),
        "sha256-375a1f00946e079bda6820d494cf811c15f49604a484ae79e224398ef4db54c3"
    );
    // The bound is on the escaped text: 10 x "é" is 60 escaped, 22 x is 132.
    assert_eq!(
        delivery::escape_key_component(&"é".repeat(10)),
        "%C3%A9".repeat(10)
    );
    assert_eq!(
        delivery::escape_key_component(&"é".repeat(22)),
        "sha256-a2ad340d88ebff230b50341fbc5ef76879d98b320238a35f68632a258f582e36"
    );
    let long = "x".repeat(10_000);
    let key = delivery::bullseye_delivery_key(&long, &long, &long);
    assert_eq!(key.len(), 9 + 3 * 71 + 2);
    assert_eq!(key.len(), 224);
}

#[test]
fn a_visit_is_keyed_by_its_id_or_its_body() {
    assert_eq!(
        visit_key(br#"{"event":"NEW_VISIT","id":"v-1:2"}"#),
        "visit:v-1%3A2"
    );
    assert_eq!(visit_key(br#"{"event":"NEW_VISIT","id":42}"#), "visit:42");
    assert_eq!(
        visit_key(br#"{"event":"NEW_VISIT","id":""}"#),
        "sha256:1814a8b8bf0c689e79bc6906bb93e51eb3ef278a99464d5ca37436f3d4100627"
    );
    let webhook = Webhook::new("token").unwrap();
    let body = br#"{"event":"NEW_VISITOR","id":"v7"}"#;
    assert_eq!(
        webhook
            .construct_visit(body, "token")
            .unwrap()
            .delivery_key(),
        "visit:v7"
    );
    assert_eq!(
        webhook
            .check_visit(body, "token")
            .unwrap()
            .delivery_key(body),
        "visit:v7"
    );
}

#[test]
fn constants_are_the_documented_defaults() {
    assert_eq!(delivery::DEFAULT_LEASE_MS, 60_000);
    assert_eq!(delivery::DEFAULT_RETENTION_MS, 86_400_000);
    assert_eq!(delivery::STORE_RETRY_AFTER_SECS, 30);
    assert_eq!(DEFAULT_LEASE, Duration::from_secs(60));
    assert_eq!(DEFAULT_RETENTION, Duration::from_secs(86_400));
    assert_eq!(delivery::REDIS_KEY_PREFIX, "bullseye-webhooks:delivery:");
    assert_eq!(delivery::STORE_UNAVAILABLE, "store_unavailable");
    assert_eq!(delivery::DELIVERY_IN_FLIGHT, "delivery_in_flight");
}

#[test]
fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
    assert_eq!(delivery::retry_after_secs(0), 1);
    assert_eq!(delivery::retry_after_secs(1), 1);
    assert_eq!(delivery::retry_after_secs(1000), 1);
    assert_eq!(delivery::retry_after_secs(1001), 2);
    assert_eq!(delivery::retry_after_secs(59_999), 60);
    assert_eq!(delivery::millis(Duration::ZERO), 1);
    assert_eq!(delivery::millis(Duration::from_micros(1500)), 1);
    assert_eq!(delivery::millis(Duration::MAX), u64::MAX);
}

#[test]
fn redis_replies_map_to_outcomes() {
    let token = "ab".repeat(16);
    assert_eq!(
        Claim::from_redis_reply(0, "", token.clone()).unwrap(),
        Claim::New {
            token: token.clone()
        }
    );
    assert_eq!(
        Claim::from_redis_reply(-1, "", token.clone()).unwrap(),
        Claim::Duplicate
    );
    let in_flight = Claim::from_redis_reply(1500, "", token.clone()).unwrap();
    assert_eq!(
        in_flight,
        Claim::InFlight {
            retry_after: Duration::from_millis(1500)
        }
    );
    assert_eq!(in_flight.retry_after_secs(), Some(2));
    assert_eq!(
        Claim::from_redis_reply(-2, H, token.clone()).unwrap(),
        Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: false
        }
    );
    assert_eq!(
        Claim::from_redis_reply(-3, H, token.clone()).unwrap(),
        Claim::Conflict {
            stored_hash: H.to_owned(),
            in_flight: true
        }
    );
    assert_eq!(
        Claim::from_redis_reply(-4, "", token).unwrap_err().code(),
        "store_unavailable"
    );
    assert_eq!(Completion::from_redis_reply(1).unwrap(), Completion::Done);
    assert_eq!(
        Completion::from_redis_reply(2).unwrap(),
        Completion::LeaseExpired
    );
    assert_eq!(
        Completion::from_redis_reply(0).unwrap(),
        Completion::NotHeld
    );
    assert!(Completion::from_redis_reply(3).is_err());
}

#[test]
fn claim_tokens_are_128_random_bits_in_hex() {
    let a = delivery::new_claim_token().unwrap();
    let b = delivery::new_claim_token().unwrap();
    assert_eq!(a.len(), 32);
    assert!(
        a.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
        "{a}"
    );
    assert_ne!(a, b);
}

fn new_token(claim: Claim) -> String {
    match claim {
        Claim::New { token } => token,
        other => panic!("expected a new claim, got {other:?}"),
    }
}

const SEC: Duration = Duration::from_secs(1);
/// A body hash (the hex SHA-256 of `{}`), for the protocol tests.
const H: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

#[test]
fn memory_store_protocol() {
    let store = MemoryStore::new();
    let t0 = Instant::now();
    let lease = 60 * SEC;

    // new, then in flight with the remaining lease, then done: duplicate.
    let token = new_token(store.claim_at("k", H, lease, t0).unwrap());
    let again = store.claim_at("k", H, lease, t0 + 15 * SEC).unwrap();
    assert_eq!(
        again,
        Claim::InFlight {
            retry_after: 45 * SEC
        }
    );
    assert_eq!(again.retry_after_secs(), Some(45));
    let late = store
        .claim_at("k", H, lease, t0 + Duration::from_millis(59_500))
        .unwrap();
    assert_eq!(late.retry_after_secs(), Some(1));
    assert_eq!(
        store
            .complete_at("k", &token, H, DEFAULT_RETENTION, t0 + 20 * SEC)
            .unwrap(),
        Completion::Done
    );
    assert_eq!(
        store.claim_at("k", H, lease, t0 + 21 * SEC).unwrap(),
        Claim::Duplicate
    );
    // Still a duplicate just before the retention ends, new after it.
    let before_end = t0 + 20 * SEC + DEFAULT_RETENTION - SEC;
    assert_eq!(
        store.claim_at("k", H, lease, before_end).unwrap(),
        Claim::Duplicate
    );
    let after_end = t0 + 20 * SEC + DEFAULT_RETENTION;
    assert!(matches!(
        store.claim_at("k", H, lease, after_end).unwrap(),
        Claim::New { .. }
    ));
    // A done key is never released.
    assert!(!store.release_at("k", &token, t0 + 22 * SEC));
}

#[test]
fn memory_store_release_only_by_the_claims_token() {
    let store = MemoryStore::new();
    let t0 = Instant::now();
    let token = new_token(store.claim_at("k", H, 60 * SEC, t0).unwrap());
    let wrong = delivery::new_claim_token().unwrap();
    assert!(!store.release_at("k", &wrong, t0 + SEC));
    assert!(matches!(
        store.claim_at("k", H, 60 * SEC, t0 + 2 * SEC).unwrap(),
        Claim::InFlight { .. }
    ));
    // A wrong token cannot complete it either.
    assert_eq!(
        store
            .complete_at("k", &wrong, H, DEFAULT_RETENTION, t0 + 3 * SEC)
            .unwrap(),
        Completion::NotHeld
    );
    assert!(store.release_at("k", &token, t0 + 4 * SEC));
    // Released: the retry is new.
    assert!(matches!(
        store.claim_at("k", H, 60 * SEC, t0 + 5 * SEC).unwrap(),
        Claim::New { .. }
    ));
}

#[test]
fn memory_store_lease_expiry_lets_another_worker_retake() {
    let store = MemoryStore::new();
    let t0 = Instant::now();
    let crashed = new_token(store.claim_at("k", H, 60 * SEC, t0).unwrap());
    let retaken = new_token(store.claim_at("k", H, 60 * SEC, t0 + 60 * SEC).unwrap());
    assert_ne!(crashed, retaken);
    // The first worker wakes up: it neither releases nor completes the
    // second one's claim.
    assert!(!store.release_at("k", &crashed, t0 + 61 * SEC));
    assert_eq!(
        store
            .complete_at("k", &crashed, H, DEFAULT_RETENTION, t0 + 61 * SEC)
            .unwrap(),
        Completion::NotHeld
    );
    assert!(matches!(
        store.claim_at("k", H, 60 * SEC, t0 + 62 * SEC).unwrap(),
        Claim::InFlight { .. }
    ));
    assert_eq!(
        store
            .complete_at("k", &retaken, H, DEFAULT_RETENTION, t0 + 63 * SEC)
            .unwrap(),
        Completion::Done
    );
}

#[test]
fn memory_store_complete_after_the_lease_expired() {
    let store = MemoryStore::new();
    let t0 = Instant::now();
    let slow = new_token(store.claim_at("k", H, 60 * SEC, t0).unwrap());
    // Nobody retook it: the slow handler's success still marks it done.
    assert_eq!(
        store
            .complete_at("k", &slow, H, DEFAULT_RETENTION, t0 + 90 * SEC)
            .unwrap(),
        Completion::LeaseExpired
    );
    assert_eq!(
        store.claim_at("k", H, 60 * SEC, t0 + 91 * SEC).unwrap(),
        Claim::Duplicate
    );
    // A release after expiry answers false (as Redis would) and frees nothing else.
    let other = new_token(store.claim_at("j", H, 60 * SEC, t0).unwrap());
    assert!(!store.release_at("j", &other, t0 + 61 * SEC));
    assert!(matches!(
        store.claim_at("j", H, 60 * SEC, t0 + 62 * SEC).unwrap(),
        Claim::New { .. }
    ));
}

#[test]
fn memory_store_is_bounded_evicting_expired_then_oldest_done() {
    let store = MemoryStore::with_capacity(4);
    let t0 = Instant::now();
    let lease = 60 * SEC;
    // Two done (d1 older), one in flight, one expired claim.
    for (key, at) in [("d1", 0), ("d2", 1)] {
        let token = new_token(store.claim_at(key, H, lease, t0 + at * SEC).unwrap());
        store
            .complete_at(key, &token, H, 3600 * SEC, t0 + at * SEC)
            .unwrap();
    }
    new_token(store.claim_at("busy", H, 3600 * SEC, t0).unwrap());
    new_token(store.claim_at("crashed", H, SEC, t0).unwrap());
    assert_eq!(store.len(), 4);

    // Full: the expired claim goes first; the done keys stay.
    new_token(store.claim_at("n1", H, lease, t0 + 10 * SEC).unwrap());
    assert_eq!(store.len(), 4);
    assert_eq!(
        store.claim_at("d1", H, lease, t0 + 11 * SEC).unwrap(),
        Claim::Duplicate
    );
    assert_eq!(
        store.claim_at("d2", H, lease, t0 + 11 * SEC).unwrap(),
        Claim::Duplicate
    );

    // Full again: the oldest done key (d1) goes, never a claim in flight.
    new_token(store.claim_at("n2", H, lease, t0 + 12 * SEC).unwrap());
    assert!(store.len() <= 4);
    assert!(matches!(
        store.claim_at("busy", H, lease, t0 + 13 * SEC).unwrap(),
        Claim::InFlight { .. }
    ));
    assert!(matches!(
        store.claim_at("n1", H, lease, t0 + 13 * SEC).unwrap(),
        Claim::InFlight { .. }
    ));
    assert!(matches!(
        store.claim_at("n2", H, lease, t0 + 13 * SEC).unwrap(),
        Claim::InFlight { .. }
    ));
    assert_eq!(
        store.claim_at("d2", H, lease, t0 + 13 * SEC).unwrap(),
        Claim::Duplicate
    );
    // d1 was forgotten: it is new again (the store is full of claims now,
    // apart from d2, which makes room for it).
    assert!(matches!(
        store.claim_at("d1", H, lease, t0 + 14 * SEC).unwrap(),
        Claim::New { .. }
    ));
}

#[test]
fn memory_store_full_of_claims_in_flight_is_unavailable() {
    let store = MemoryStore::with_capacity(3);
    let t0 = Instant::now();
    for key in ["a", "b", "c"] {
        new_token(store.claim_at(key, H, 60 * SEC, t0).unwrap());
    }
    let error: StoreError = store.claim_at("d", H, 60 * SEC, t0 + SEC).unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    assert_eq!(
        error.to_string(),
        "store_unavailable: the memory store is full of deliveries in flight (3 keys)"
    );
    // Nothing in flight was dropped for it.
    for key in ["a", "b", "c"] {
        assert!(matches!(
            store.claim_at(key, H, 60 * SEC, t0 + SEC).unwrap(),
            Claim::InFlight { .. }
        ));
    }
    // Once their leases end, there is room again.
    assert!(matches!(
        store.claim_at("d", H, 60 * SEC, t0 + 60 * SEC).unwrap(),
        Claim::New { .. }
    ));
}

#[test]
fn memory_store_one_claim_wins_among_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MemoryStore>();

    let store = Arc::new(MemoryStore::new());
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                (0..500)
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
    assert_eq!(won, 500, "each key is new exactly once");
}

#[test]
fn memory_store_through_the_trait() {
    let store = MemoryStore::new();
    let dyn_store: &dyn DeliveryStore = &store;
    let token = new_token(dyn_store.claim("k", H, DEFAULT_LEASE).unwrap());
    assert!(matches!(
        dyn_store.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::InFlight { .. }
    ));
    assert!(dyn_store.release("k", &token).unwrap());
    let token = new_token(dyn_store.claim("k", H, DEFAULT_LEASE).unwrap());
    assert_eq!(
        dyn_store
            .complete("k", &token, H, DEFAULT_RETENTION)
            .unwrap(),
        Completion::Done
    );
    assert_eq!(
        dyn_store.claim("k", H, DEFAULT_LEASE).unwrap(),
        Claim::Duplicate
    );
    assert!(format!("{store:?}").starts_with("MemoryStore { capacity: 100000"));
}
