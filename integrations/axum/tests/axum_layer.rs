//! The axum layer (`Receiver::layer()`) against a real axum server on
//! 127.0.0.1: de-duplication through the core's memory store and a real
//! (unreachable) Redis store, and the hooks behind the layer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bullseye_webhooks::Webhook;
use bullseye_webhooks::delivery::{DedupeOptions, MemoryStore, OnConflict, OnStoreError};
use bullseye_webhooks::sign;
use bullseye_webhooks_axum::{Blocking, Receiver, Verified, VerifiedEvent};
use common::{SECRET, client, json_answer, payload, refusal, send, serve_axum};
use serde_json::json;

/// A handler that answers as `?fail` and `?wait` say: it counts its calls,
/// fails with 500 when asked, and waits for the test's signal when asked.
#[derive(Clone)]
struct Once {
    calls: Arc<AtomicUsize>,
    gate: Arc<tokio::sync::Semaphore>,
}

async fn once(
    State(once): State<Once>,
    uri: axum::http::Uri,
    axum::Extension(Verified(event)): axum::Extension<VerifiedEvent>,
) -> Response {
    once.calls.fetch_add(1, Ordering::SeqCst);
    let query = uri.query().unwrap_or("");
    if query.contains("wait") {
        drop(once.gate.acquire().await.unwrap());
    }
    if query.contains("fail") {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            json_answer(json!({ "error": "handler failed" })),
        )
            .into_response();
    }
    json_answer(json!({ "handled": event.event_type() })).into_response()
}

fn once_app(receiver: &Receiver) -> (String, Once) {
    let state = Once {
        calls: Arc::default(),
        gate: Arc::new(tokio::sync::Semaphore::new(0)),
    };
    // The layer verifies and claims; the handler takes the event from the
    // request's extensions (no Receiver in this state).
    let app = Router::new()
        .route("/once", post(once).layer(receiver.layer()))
        .with_state(state.clone());
    (serve_axum(app), state)
}

/// De-duplication through the layer and the core's memory store: a
/// duplicate is answered without the handler, a failed handler releases
/// the claim so the retry runs, a copy sent while the first is handled is
/// answered 409 with Retry-After.
#[test]
fn dedupe_with_the_memory_store() {
    let receiver = Receiver::new(Webhook::new(SECRET).unwrap()).with_store(MemoryStore::new());
    let (base, state) = once_app(&receiver);
    let agent = client();
    let body = payload("identification-event.json");
    let signature = sign(SECRET, &body);
    let headers = [("X-Bullseye-Signature", signature.as_str())];

    let first = send(&agent, &format!("{base}/once"), &headers, &body);
    assert_eq!(
        (first.status, first.json),
        (200, json!({ "handled": "visitor.identified" }))
    );
    let copy = send(&agent, &format!("{base}/once"), &headers, &body);
    assert_eq!(
        (copy.status, copy.json),
        (200, json!({ "duplicate": true }))
    );
    assert_eq!(state.calls.load(Ordering::SeqCst), 1);

    // Another delivery: the handler fails, the claim is released, and the
    // retry is handled.
    let other = payload("generic-billing-event.json");
    let other_signature = sign(SECRET, &other);
    let other_headers = [("X-Bullseye-Signature", other_signature.as_str())];
    let failed = send(&agent, &format!("{base}/once?fail"), &other_headers, &other);
    assert_eq!(failed.status, 500);
    let retried = send(&agent, &format!("{base}/once"), &other_headers, &other);
    assert_eq!(retried.status, 200);
    assert_eq!(state.calls.load(Ordering::SeqCst), 3);

    // In flight: the first copy waits in the handler while a second comes.
    let third = payload("generic-test-event.json");
    let third_signature = sign(SECRET, &third);
    let url = format!("{base}/once?wait");
    let waiting = {
        let (agent, third, third_signature) =
            (agent.clone(), third.clone(), third_signature.clone());
        std::thread::spawn(move || {
            send(
                &agent,
                &url,
                &[("X-Bullseye-Signature", &third_signature)],
                &third,
            )
        })
    };
    while state.calls.load(Ordering::SeqCst) < 4 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let copy = send(
        &agent,
        &format!("{base}/once"),
        &[("X-Bullseye-Signature", &third_signature)],
        &third,
    );
    assert_eq!(
        (copy.status, copy.json),
        (409, refusal("delivery_in_flight"))
    );
    assert_eq!(copy.retry_after.as_deref(), Some("60"));
    state.gate.add_permits(1);
    assert_eq!(waiting.join().unwrap().status, 200);
    let after = send(
        &agent,
        &format!("{base}/once"),
        &[("X-Bullseye-Signature", &third_signature)],
        &third,
    );
    assert_eq!(
        (after.status, after.json),
        (200, json!({ "duplicate": true }))
    );
    assert_eq!(state.calls.load(Ordering::SeqCst), 4);

    // Refusals are answered by the layer, before any claim.
    let unsigned = send(&agent, &format!("{base}/once"), &[], &body);
    assert_eq!(
        (unsigned.status, unsigned.json),
        (400, refusal("missing_signature"))
    );
}

/// The same delivery key with another body (here the same JSON and one
/// more trailing byte, so the key is the same and the hash is not): 409
/// `delivery_conflict` without the handler, whether the first is done or in
/// flight; with `OnConflict::Process` each body is handled once.
#[test]
fn a_key_seen_with_another_body() {
    let body = payload("identification-event.json");
    let mut other = body.clone();
    other.push(b'\n');
    let signed = |body: &[u8]| sign(SECRET, body);
    let agent = client();

    let receiver = Receiver::new(Webhook::new(SECRET).unwrap()).with_store(MemoryStore::new());
    let (base, state) = once_app(&receiver);
    let url = format!("{base}/once");
    let first = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &signed(&body))],
        &body,
    );
    assert_eq!(first.status, 200);
    let conflict = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &signed(&other))],
        &other,
    );
    assert_eq!(
        (conflict.status, conflict.json),
        (409, refusal("delivery_conflict"))
    );
    assert_eq!(state.calls.load(Ordering::SeqCst), 1);

    // In flight: the first body waits in the handler while the other comes.
    let receiver = Receiver::new(Webhook::new(SECRET).unwrap()).with_store(MemoryStore::new());
    let (base, state) = once_app(&receiver);
    let waiting = {
        let (agent, body, url) = (agent.clone(), body.clone(), format!("{base}/once?wait"));
        let signature = signed(&body);
        std::thread::spawn(move || {
            send(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body)
        })
    };
    while state.calls.load(Ordering::SeqCst) < 1 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let url = format!("{base}/once");
    let conflict = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &signed(&other))],
        &other,
    );
    assert_eq!(
        (conflict.status, conflict.json),
        (409, refusal("delivery_conflict"))
    );
    state.gate.add_permits(1);
    assert_eq!(waiting.join().unwrap().status, 200);
    assert_eq!(state.calls.load(Ordering::SeqCst), 1);

    let receiver = Receiver::new(Webhook::new(SECRET).unwrap())
        .with_store(MemoryStore::new())
        .with_dedupe_options(DedupeOptions::default().with_on_conflict(OnConflict::Process));
    let (base, state) = once_app(&receiver);
    let url = format!("{base}/once");
    for (body, expected) in [
        (&body, json!({ "handled": "visitor.identified" })),
        (&other, json!({ "handled": "visitor.identified" })),
        (&other, json!({ "duplicate": true })),
        (&body, json!({ "duplicate": true })),
    ] {
        let answer = send(
            &agent,
            &url,
            &[("X-Bullseye-Signature", &signed(body))],
            body,
        );
        assert_eq!((answer.status, answer.json), (200, expected));
    }
    assert_eq!(state.calls.load(Ordering::SeqCst), 2);
}

/// A Redis store that cannot be reached (a real `RedisStore`, on a port
/// nothing listens on): 503 `store_unavailable` with Retry-After 30, the
/// handler not called; with `OnStoreError::Process` the handler runs.
#[test]
fn an_unreachable_store() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let redis = || {
        bullseye_webhooks_redis::RedisStore::open(&format!("redis://127.0.0.1:{closed}/"))
            .unwrap()
            .with_connect_timeout(Duration::from_millis(200))
    };
    let refusing = Receiver::new(Webhook::new(SECRET).unwrap()).with_store(Blocking::new(redis()));
    let (base, state) = once_app(&refusing);
    let agent = client();
    let body = payload("identification-event.json");
    let signature = sign(SECRET, &body);
    let answer = send(
        &agent,
        &format!("{base}/once"),
        &[("X-Bullseye-Signature", &signature)],
        &body,
    );
    assert_eq!(
        (answer.status, answer.json),
        (503, refusal("store_unavailable"))
    );
    assert_eq!(answer.retry_after.as_deref(), Some("30"));
    assert_eq!(state.calls.load(Ordering::SeqCst), 0);

    let processing = Receiver::new(Webhook::new(SECRET).unwrap())
        .with_store(Blocking::new(redis()))
        .with_dedupe_options(DedupeOptions::default().with_on_store_error(OnStoreError::Process));
    let (base, state) = once_app(&processing);
    let answer = send(
        &agent,
        &format!("{base}/once"),
        &[("X-Bullseye-Signature", &signature)],
        &body,
    );
    assert_eq!(answer.status, 200);
    assert_eq!(state.calls.load(Ordering::SeqCst), 1);
}

/// What a hook saw: the outcome code and the status.
type Seen = (&'static str, Option<u16>);

/// Behind the layer, the hooks learn the status answered: the handler's,
/// or the de-duplication's.
#[test]
fn hooks_behind_the_layer() {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let (verified, refused) = (Arc::clone(&seen), Arc::clone(&seen));
    let receiver = Receiver::new(Webhook::new(SECRET).unwrap())
        .with_store(MemoryStore::new())
        .on_verified(move |_, info| verified.lock().unwrap().push((info.code, info.status)))
        .on_refused(move |_, info| refused.lock().unwrap().push((info.code, info.status)));
    let (base, _) = once_app(&receiver);
    let agent = client();
    let body = payload("identification-event.json");
    let signature = sign(SECRET, &body);
    let url = format!("{base}/once");
    send(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body);
    send(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body);
    send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &"0".repeat(64))],
        &body,
    );
    let other = payload("generic-test-event.json");
    send(
        &agent,
        &format!("{url}?fail"),
        &[("X-Bullseye-Signature", &sign(SECRET, &other))],
        &other,
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("ok", Some(200)),
            ("duplicate", Some(200)),
            ("signature_mismatch", Some(401)),
            ("ok", Some(500)),
        ]
    );
}
