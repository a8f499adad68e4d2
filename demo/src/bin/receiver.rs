//! The Rust example receiver: an axum server on 127.0.0.1 that verifies
//! Bullseye deliveries on `POST /bullseye`, fingerprinting-api visits on
//! `POST /visit` and Bitnob deliveries on `POST /bitnob`, and handles
//! Bullseye deliveries once on `POST /bullseye-once` (de-duplicated with the
//! core's `MemoryStore`), answering as the demo's receiver protocol says (see
//! `demo/README.md`). It verifies with the axum integration
//! (`bullseye-webhooks-axum`): the `Verified` extractor, and its layer for
//! de-duplication.
//!
//! Secrets come from `DEMO_SECRET` and `DEMO_PREVIOUS_SECRET` (Bullseye) and
//! `DEMO_BITNOB_SECRET` and `DEMO_BITNOB_PREVIOUS_SECRET` (Bitnob); the bound
//! address is printed on the first line of stdout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use bullseye_webhooks::delivery::MemoryStore;
use bullseye_webhooks::{BitnobWebhook, Event, Mismatch, Webhook};
use bullseye_webhooks_axum::{
    Receiver, Verified, VerifiedBitnob, VerifiedEvent, VerifiedVisit, VisitWebhook,
};
use serde_json::json;

/// The demo's slow handler sleeps at most this long (`?slow_ms=`).
const MAX_SLOW_MS: u64 = 10_000;

/// The app's state. The axum integration's `Verified` extractor finds each
/// sender's receiver in it (`FromRef`), reads the raw body up to the
/// verifier's limit, verifies it, and answers refusals with the contract's
/// status and `{"error": code}` before any handler runs.
#[derive(Clone)]
struct Demo {
    bullseye: Receiver<Webhook>,
    visits: Receiver<VisitWebhook>,
    bitnob: Receiver<BitnobWebhook>,
    /// How many times the `/bullseye-once` handler ran, per delivery key:
    /// the demo's evidence that a duplicate did not run it again.
    handled: Arc<Mutex<HashMap<String, u64>>>,
    /// The delivery keys `/bullseye-retried` has refused once: the emulator
    /// row of `make demo` shows Bullseye's retry through it.
    refused_once: Arc<Mutex<std::collections::HashSet<String>>>,
}

impl FromRef<Demo> for Receiver<Webhook> {
    fn from_ref(demo: &Demo) -> Self {
        demo.bullseye.clone()
    }
}

impl FromRef<Demo> for Receiver<VisitWebhook> {
    fn from_ref(demo: &Demo) -> Self {
        demo.visits.clone()
    }
}

impl FromRef<Demo> for Receiver<BitnobWebhook> {
    fn from_ref(demo: &Demo) -> Self {
        demo.bitnob.clone()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    // Rotation: the new secret first, the one being retired after it.
    let webhook = Webhook::with_secrets([env("DEMO_SECRET")?, env("DEMO_PREVIOUS_SECRET")?])?;
    let demo = Demo {
        bullseye: Receiver::new(webhook.clone()),
        visits: Receiver::new(VisitWebhook(webhook.clone())),
        bitnob: Receiver::new(BitnobWebhook::with_secrets([
            env("DEMO_BITNOB_SECRET")?,
            env("DEMO_BITNOB_PREVIOUS_SECRET")?,
        ])?),
        handled: Arc::default(),
        refused_once: Arc::default(),
    };
    // `/bullseye-once` behind the integration's layer: it verifies, claims
    // the delivery in one memory store per process, and completes the claim
    // when the handler answers 2xx (releases it otherwise).
    let once = Receiver::new(webhook).with_store(MemoryStore::new());
    let app = Router::new()
        .route("/bullseye", post(bullseye))
        .route("/visit", post(visit))
        .route("/bitnob", post(bitnob))
        .route("/bullseye-once", post(bullseye_once).layer(once.layer()))
        .route("/handled", get(handled_count))
        .route("/bullseye-retried", post(bullseye_retried))
        .with_state(demo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn bullseye(Verified(event): VerifiedEvent) -> Response {
    // The extractor verified the raw body exactly as received.
    match event {
        Event::VisitorIdentified(event) => {
            let mismatches = logged(event.mismatches());
            accepted(json!({
                "event_type": event.event_type,
                "email": event.visitor().and_then(|v| v.email()),
                "company_domain": event.company().and_then(|c| c.domain()),
                "company_size": event.company().and_then(|c| c.size()),
                "mismatches": mismatches,
            }))
        }
        other => accepted(json!({ "event_type": other.event_type() })),
    }
}

/// Demo only: a verified delivery is refused with 503 the first time its
/// delivery key is seen, and accepted after, so the emulated Bullseye's
/// retry shows in its logs.
async fn bullseye_retried(State(demo): State<Demo>, Verified(event): VerifiedEvent) -> Response {
    let first = demo
        .refused_once
        .lock()
        .map(|mut seen| seen.insert(event.delivery_key()))
        .unwrap_or(false);
    if first {
        let body = json!({ "error": "demo: the first attempt is refused, to show a retry" });
        (StatusCode::SERVICE_UNAVAILABLE, axum_json(&body)).into_response()
    } else {
        accepted(json!({ "event_type": event.event_type() }))
    }
}

async fn visit(Verified(visit): VerifiedVisit) -> Response {
    let mismatches = logged(visit.mismatches());
    accepted(json!({
        "event_type": visit.event_type,
        "visit_id": visit.id(),
        "visitor_id": visit.visitor().and_then(|v| v.id()),
        "mismatches": mismatches,
    }))
}

/// A Bitnob delivery: `X-Bitnob-Signature` over `X-Bitnob-Timestamp` and the
/// raw body (or the legacy SHA-512 of the body), a 300-second window, the
/// event named by `X-Bitnob-Event` or the body's `event`.
async fn bitnob(Verified(event): VerifiedBitnob) -> Response {
    accepted(json!({
        "event_type": event.event_type(),
        "delivery_key": event.delivery_key(),
    }))
}

/// A Bullseye delivery handled at most once: the layer answers a duplicate
/// 200 `{"duplicate":true}` and one still being handled 409 with
/// `Retry-After`, neither calling this handler.
///
/// `?slow_ms=N` (demo only, not signed, capped at 10 s) makes the handler
/// take N ms, so the demo can send a copy while it runs.
async fn bullseye_once(
    State(demo): State<Demo>,
    uri: Uri,
    Extension(Verified(event)): Extension<VerifiedEvent>,
) -> Response {
    let slow = query_param(&uri, "slow_ms")
        .and_then(|ms| ms.parse::<u64>().ok())
        .map_or(0, |ms| ms.min(MAX_SLOW_MS));
    let key = event.delivery_key();
    let calls = {
        let mut handled = demo.handled.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = handled.entry(key.clone()).or_insert(0);
        *calls += 1;
        *calls
    };
    tokio::time::sleep(Duration::from_millis(slow)).await;
    accepted(json!({
        "event_type": event.event_type(),
        "delivery_key": key,
        "handled": calls,
    }))
}

/// `GET /handled?key=KEY`: how many times the `/bullseye-once` handler ran
/// for that delivery key.
async fn handled_count(State(demo): State<Demo>, uri: Uri) -> Response {
    let Some(key) = query_param(&uri, "key") else {
        return (
            StatusCode::BAD_REQUEST,
            axum_json(&json!({ "error": "no key" })),
        )
            .into_response();
    };
    let calls = demo
        .handled
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .copied()
        .unwrap_or(0);
    accepted(json!({ "key": key, "handled": calls }))
}

/// The first value of `name` in the URI's query, percent-decoded (`+` as a
/// space); `None` when absent or not UTF-8.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v)).flatten()
    })
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Log each field that arrived with another type (the delivery is still
/// accepted: refusing it would lose it), never its value; return the paths.
fn logged(mismatches: &[Mismatch]) -> Vec<&str> {
    for m in mismatches {
        eprintln!(
            "mismatch: {} expected {}, found {}",
            m.path(),
            m.expected(),
            m.found()
        );
    }
    mismatches.iter().map(Mismatch::path).collect()
}

fn accepted(body: serde_json::Value) -> Response {
    (StatusCode::OK, axum_json(&body)).into_response()
}

fn axum_json(body: &serde_json::Value) -> ([(&'static str, &'static str); 1], String) {
    ([("content-type", "application/json")], body.to_string())
}
