//! The axum extractor and layer against a real axum server on 127.0.0.1:
//! every fixture vector as an HTTP delivery, then signed, tampered,
//! unsigned and too-large deliveries, the hooks, and de-duplication
//! through the core's memory store and a real (unreachable) Redis store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bullseye_webhooks::delivery::{DedupeOptions, MemoryStore, OnConflict, OnStoreError};
use bullseye_webhooks::{BitnobWebhook, Webhook, sign, sign_bitnob};
use bullseye_webhooks_axum::{
    Blocking, DeliveryInfo, Receiver, Verified, VerifiedBitnob, VerifiedEvent, VerifiedVisit,
    VisitWebhook,
};
use common::{client, contract_status, payload, refusal, send, send_chunked, serve_axum};
use serde_json::{Value, json};

const SECRET: &str = "whsec_axum_test_secret_3c9d";

/// A JSON answer (axum's `Json` needs its `json` feature: not compiled here).
fn json_answer(value: Value) -> Response {
    ([("content-type", "application/json")], value.to_string()).into_response()
}

async fn echo_event(Verified(event): VerifiedEvent) -> Response {
    let mismatches: Vec<&str> = event.mismatches().iter().map(|m| m.path()).collect();
    json_answer(json!({ "event_type": event.event_type(), "mismatches": mismatches }))
}

async fn echo_visit(Verified(visit): VerifiedVisit) -> Response {
    json_answer(json!({ "event_type": visit.event_type, "mismatches": visit.mismatches().len() }))
}

fn webhook_of(case: &Value) -> Webhook {
    let secrets: Vec<&str> = case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let options = &case["options"];
    let mut webhook = Webhook::with_secrets(secrets).unwrap();
    if let Some(max) = options["max_body_bytes"].as_u64() {
        webhook = webhook.with_max_body_bytes(usize::try_from(max).unwrap());
    }
    webhook.with_strict(options["strict"].as_bool().unwrap_or(false))
}

/// Every construct_event and construct_visit vector that needs no clock
/// (the tolerance cases set one), through the extractor on a real server:
/// the status and body the contract gives, or the parsed delivery.
#[test]
fn every_vector_through_a_real_server() {
    let cases: Vec<Value> = common::vectors()
        .into_iter()
        .filter(|c| {
            matches!(
                c["operation"].as_str(),
                Some("construct_event" | "construct_visit")
            )
        })
        .filter(|c| c["options"].get("now_unix").is_none())
        .collect();
    // One route per verifier configuration (secrets and options).
    let mut routes: BTreeMap<String, usize> = BTreeMap::new();
    let mut app = Router::new();
    for case in &cases {
        let config = format!(
            "{} {} {}",
            case["operation"], case["secrets"], case["options"]
        );
        if routes.contains_key(&config) {
            continue;
        }
        let path = format!("/r{}", routes.len());
        let webhook = webhook_of(case);
        app = if case["operation"] == "construct_visit" {
            app.merge(
                Router::new()
                    .route(&path, post(echo_visit))
                    .with_state(Receiver::new(VisitWebhook(webhook))),
            )
        } else {
            app.merge(
                Router::new()
                    .route(&path, post(echo_event))
                    .with_state(Receiver::new(webhook)),
            )
        };
        routes.insert(config, routes.len());
    }
    let base = serve_axum(app);
    let agent = client();
    let mut checked = 0;
    for case in &cases {
        let config = format!(
            "{} {} {}",
            case["operation"], case["secrets"], case["options"]
        );
        let url = format!("{base}/r{}", routes[&config]);
        let header = if case["operation"] == "construct_visit" {
            "x-webhook-signature"
        } else {
            "x-bullseye-signature"
        };
        let headers: Vec<(&str, &str)> = case["signature"]
            .as_str()
            .map(|s| vec![(header, s)])
            .unwrap_or_default();
        let answer = send(&agent, &url, &headers, &common::body_of(case));
        let name = case["name"].as_str().unwrap();
        match case["expect"]["error"].as_str() {
            Some(code) => {
                assert_eq!(answer.status, contract_status(code), "{name}");
                assert_eq!(answer.json, refusal(code), "{name}");
            }
            None => {
                assert_eq!(answer.status, 200, "{name}: {}", answer.json);
                if let Some(event_type) = case["expect"]["fields"].get("event_type") {
                    assert_eq!(&answer.json["event_type"], event_type, "{name}");
                }
                let mismatches = case["expect"]["mismatches"].as_array().unwrap();
                let answered = &answer.json["mismatches"];
                let count = answered
                    .as_array()
                    .map_or_else(|| answered.as_u64().unwrap(), |a| a.len() as u64);
                assert_eq!(count, mismatches.len() as u64, "{name}");
            }
        }
        checked += 1;
    }
    // About a thousand vectors, both kinds and every refusal code among them.
    assert!(checked > 1000, "only {checked} vectors ran");
}

#[derive(Clone)]
struct AppState {
    bullseye: Receiver,
    calls: Arc<AtomicUsize>,
    hooks: Arc<Mutex<Vec<(String, DeliveryInfo)>>>,
}

impl FromRef<AppState> for Receiver {
    fn from_ref(state: &AppState) -> Receiver {
        state.bullseye.clone()
    }
}

async fn counted(State(state): State<AppState>, Verified(event): VerifiedEvent) -> Response {
    state.calls.fetch_add(1, Ordering::SeqCst);
    json_answer(json!({ "event_type": event.event_type(), "key": event.delivery_key() }))
}

fn app_state(webhook: Webhook) -> AppState {
    let hooks: Arc<Mutex<Vec<(String, DeliveryInfo)>>> = Arc::default();
    let (verified, refused) = (Arc::clone(&hooks), Arc::clone(&hooks));
    AppState {
        bullseye: Receiver::new(webhook)
            .on_verified(move |event, info| {
                verified
                    .lock()
                    .unwrap()
                    .push((format!("verified {}", event.event_type()), info.clone()));
            })
            .on_refused(move |error, info| {
                refused
                    .lock()
                    .unwrap()
                    .push((format!("refused {}", error.code()), info.clone()));
            }),
        calls: Arc::default(),
        hooks,
    }
}

/// Signed, tampered, unsigned and too-large deliveries of a real payload,
/// through the extractor; the handler runs for the signed one only, and
/// each delivery calls one hook.
#[test]
fn signed_tampered_unsigned_and_too_large() {
    let state = app_state(Webhook::new(SECRET).unwrap().with_max_body_bytes(4096));
    let app = Router::new()
        .route("/bullseye", post(counted))
        .with_state(state.clone());
    let url = format!("{}/bullseye", serve_axum(app));
    let agent = client();
    let body = payload("bullseye-partner-api-identification.json");
    let signature = sign(SECRET, &body);

    let signed = send(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body);
    assert_eq!(signed.status, 200);
    assert_eq!(signed.json["event_type"], "visitor.identified");
    assert_eq!(state.calls.load(Ordering::SeqCst), 1);

    let mut tampered = body.clone();
    let at = tampered.iter().position(|&b| b == b'@').unwrap();
    tampered[at] = b'#';
    let answer = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &signature)],
        &tampered,
    );
    assert_eq!(
        (answer.status, answer.json),
        (401, refusal("signature_mismatch"))
    );

    let answer = send(&agent, &url, &[], &body);
    assert_eq!(
        (answer.status, answer.json),
        (400, refusal("missing_signature"))
    );

    let large = vec![b' '; 5000];
    let large_signature = sign(SECRET, &large);
    let answer = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &large_signature)],
        &large,
    );
    assert_eq!(
        (answer.status, answer.json),
        (413, refusal("body_too_large"))
    );
    // Without a Content-Length, the limit stops the read itself.
    let answer = send_chunked(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &large_signature)],
        &large,
    );
    assert_eq!(
        (answer.status, answer.json),
        (413, refusal("body_too_large"))
    );
    // The same body chunked, within the limit, is read whole.
    let answer = send_chunked(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body);
    assert_eq!(answer.status, 200);

    assert_eq!(state.calls.load(Ordering::SeqCst), 2);
    let hooks = state.hooks.lock().unwrap().clone();
    let seen: Vec<(&str, &'static str, Option<u16>, bool)> = hooks
        .iter()
        .map(|(what, info)| {
            (
                what.as_str(),
                info.code,
                info.status,
                info.signature_present,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("verified visitor.identified", "ok", None, true),
            (
                "refused signature_mismatch",
                "signature_mismatch",
                Some(401),
                true
            ),
            (
                "refused missing_signature",
                "missing_signature",
                Some(400),
                false
            ),
            ("refused body_too_large", "body_too_large", Some(413), true),
            ("refused body_too_large", "body_too_large", Some(413), true),
            ("verified visitor.identified", "ok", None, true),
        ]
    );
    assert_eq!(hooks[0].1.body_len, body.len());
    assert_eq!(hooks[0].1.event_type.as_deref(), Some("visitor.identified"));
    assert_eq!(hooks[3].1.body_len, 5000);
}

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

/// A receiver with a store used by the extractor alone (no layer to
/// settle the claim) answers 500 rather than claiming what it cannot
/// complete.
#[test]
fn a_store_without_the_layer() {
    let receiver = Receiver::new(Webhook::new(SECRET).unwrap()).with_store(MemoryStore::new());
    let app = Router::new()
        .route("/bullseye", post(echo_event))
        .with_state(receiver);
    let url = format!("{}/bullseye", serve_axum(app));
    let body = payload("identification-event.json");
    let answer = send(
        &client(),
        &url,
        &[("X-Bullseye-Signature", &sign(SECRET, &body))],
        &body,
    );
    assert_eq!(
        (answer.status, answer.json),
        (500, refusal("dedupe_needs_layer"))
    );
}

async fn echo_bitnob(Verified(event): VerifiedBitnob) -> Response {
    json_answer(json!({ "event_type": event.event_type() }))
}

/// A Bitnob delivery through `Verified<BitnobWebhook>`: its signature
/// covers the timestamp header and the body.
#[test]
fn a_bitnob_delivery() {
    let secret = "bn_whsk_axum_test_7d20";
    let receiver = Receiver::new(BitnobWebhook::new(secret).unwrap());
    let app = Router::new()
        .route("/bitnob", post(echo_bitnob))
        .with_state(receiver);
    let url = format!("{}/bitnob", serve_axum(app));
    let agent = client();
    let body = payload("bitnob-virtualcard-debit.json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = sign_bitnob(secret, &now, &body);
    let headers = [
        ("X-Bitnob-Signature", signature.as_str()),
        ("X-Bitnob-Timestamp", now.as_str()),
    ];
    let expected: Value = serde_json::from_slice(&body).unwrap();

    let answer = send(&agent, &url, &headers, &body);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["event_type"], expected["event"]);
    let mut tampered = body.clone();
    tampered.push(b' ');
    let answer = send(&agent, &url, &headers, &tampered);
    assert_eq!(
        (answer.status, answer.json),
        (401, refusal("signature_mismatch"))
    );
    let answer = send(&agent, &url, &[("X-Bitnob-Timestamp", now.as_str())], &body);
    assert_eq!(
        (answer.status, answer.json),
        (400, refusal("missing_signature"))
    );
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
