//! The axum extractor against a real axum server on 127.0.0.1: every
//! fixture vector as an HTTP delivery, then signed, tampered, unsigned and
//! too-large deliveries, the hooks, a store without the layer, and Bitnob
//! (the layer's de-duplication: axum_layer.rs).

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

use axum::Router;
use axum::extract::{FromRef, State};
use axum::response::Response;
use axum::routing::post;
use bullseye_webhooks::delivery::MemoryStore;
use bullseye_webhooks::{BitnobWebhook, Webhook, sign, sign_bitnob};
use bullseye_webhooks_axum::{
    DeliveryInfo, Receiver, Verified, VerifiedBitnob, VerifiedEvent, VerifiedVisit, VisitWebhook,
};
use common::{
    SECRET, client, contract_status, json_answer, payload, refusal, send, send_chunked, serve_axum,
};
use serde_json::{Value, json};

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
