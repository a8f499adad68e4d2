//! The Rust example receiver: an axum server on 127.0.0.1 that verifies
//! Bullseye deliveries on `POST /bullseye`, fingerprinting-api visits on
//! `POST /visit` and Bitnob deliveries on `POST /bitnob`, and handles
//! Bullseye deliveries once on `POST /bullseye-once` (de-duplicated with the
//! core's `MemoryStore`), answering as the demo's receiver protocol says (see
//! `demo/README.md`).
//!
//! Secrets come from `DEMO_SECRET` and `DEMO_PREVIOUS_SECRET` (Bullseye) and
//! `DEMO_BITNOB_SECRET` and `DEMO_BITNOB_PREVIOUS_SECRET` (Bitnob); the bound
//! address is printed on the first line of stdout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bullseye_webhooks::delivery::{DedupeOptions, Handled, MemoryStore, handle_once};
use bullseye_webhooks::{
    BitnobWebhook, Error, Event, Mismatch, SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, Webhook,
};
use serde_json::json;

/// The demo's slow handler sleeps at most this long (`?slow_ms=`).
const MAX_SLOW_MS: u64 = 10_000;

struct Receiver {
    webhook: Webhook,
    bitnob: BitnobWebhook,
    /// One store per process, shared by its threads.
    store: Arc<MemoryStore>,
    /// How many times the `/bullseye-once` handler ran, per delivery key:
    /// the demo's evidence that a duplicate did not run it again.
    handled: Mutex<HashMap<String, u64>>,
    /// The delivery keys `/bullseye-retried` has refused once: the emulator
    /// row of `make demo` shows Bullseye's retry through it.
    refused_once: Mutex<std::collections::HashSet<String>>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    // Rotation: the new secret first, the one being retired after it.
    let receiver = Arc::new(Receiver {
        webhook: Webhook::with_secrets([env("DEMO_SECRET")?, env("DEMO_PREVIOUS_SECRET")?])?,
        bitnob: BitnobWebhook::with_secrets([
            env("DEMO_BITNOB_SECRET")?,
            env("DEMO_BITNOB_PREVIOUS_SECRET")?,
        ])?,
        store: Arc::new(MemoryStore::new()),
        handled: Mutex::new(HashMap::new()),
        refused_once: Mutex::new(std::collections::HashSet::new()),
    });
    let app = Router::new()
        .route("/bullseye", post(bullseye))
        .route("/visit", post(visit))
        .route("/bitnob", post(bitnob))
        .route("/bullseye-once", post(bullseye_once))
        .route("/handled", get(handled_count))
        .route("/bullseye-retried", post(bullseye_retried))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The header's value, or "" when absent or not visible ASCII: both are
/// then refused by the core as `missing_signature`/`malformed_signature`.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

async fn bullseye(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // `Bytes` is the raw body exactly as received: nothing re-serialized it.
    match receiver
        .webhook
        .construct_event(&body, header(&headers, SIGNATURE_HEADER))
    {
        Ok(Event::VisitorIdentified(event)) => {
            let mismatches = logged(event.mismatches());
            accepted(json!({
                "event_type": event.event_type,
                "email": event.visitor.as_ref().and_then(|v| v.email.clone()),
                "company_domain": event.company.as_ref().and_then(|c| c.domain.clone()),
                "company_size": event.company.as_ref().and_then(|c| c.size),
                "mismatches": mismatches,
            }))
        }
        Ok(other) => accepted(json!({ "event_type": other.event_type() })),
        Err(error) => refused(&error),
    }
}

/// Demo only: a verified delivery is refused with 503 the first time its
/// delivery key is seen, and accepted after, so the emulated Bullseye's
/// retry shows in its logs.
async fn bullseye_retried(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match receiver
        .webhook
        .construct_event(&body, header(&headers, SIGNATURE_HEADER))
    {
        Ok(event) => {
            let first = receiver
                .refused_once
                .lock()
                .map(|mut seen| seen.insert(event.delivery_key()))
                .unwrap_or(false);
            if first {
                let body =
                    json!({ "error": "demo: the first attempt is refused, to show a retry" });
                (StatusCode::SERVICE_UNAVAILABLE, axum_json(&body)).into_response()
            } else {
                accepted(json!({ "event_type": event.event_type() }))
            }
        }
        Err(error) => refused(&error),
    }
}

async fn visit(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = receiver
        .webhook
        .verify_visit_signature(&body, header(&headers, VISIT_SIGNATURE_HEADER))
        .and_then(|()| bullseye_webhooks::parse_visit(&body));
    match verified {
        Ok(visit) => {
            let mismatches = logged(visit.mismatches());
            accepted(json!({
                "event_type": visit.event_type,
                "visit_id": visit.id,
                "visitor_id": visit.visitor.as_ref().and_then(|v| v.id.clone()),
                "mismatches": mismatches,
            }))
        }
        Err(error) => refused(&error),
    }
}

/// A Bitnob delivery: `X-Bitnob-Signature` over `X-Bitnob-Timestamp` and the
/// raw body (or the legacy SHA-512 of the body), a 300-second window, the
/// event named by `X-Bitnob-Event` or the body's `event`.
async fn bitnob(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A header value that is not visible ASCII is left out: for the three
    // Bitnob headers, as if it had not been sent.
    let pairs = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    match receiver.bitnob.construct_event(&body, pairs) {
        Ok(event) => accepted(json!({
            "event_type": event.event_type(),
            "delivery_key": event.delivery_key(),
        })),
        Err(error) => refused(&error),
    }
}

/// A Bullseye delivery handled at most once (the core's `handle_once` on a
/// `MemoryStore`): a duplicate is answered 200 `{"duplicate":true}` and one
/// still being handled 409 with `Retry-After`, neither calling the handler.
///
/// `?slow_ms=N` (demo only, not signed, capped at 10 s) makes the handler
/// take N ms, so the demo can send a copy while it runs.
async fn bullseye_once(
    State(receiver): State<Arc<Receiver>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let event = match receiver
        .webhook
        .construct_event(&body, header(&headers, SIGNATURE_HEADER))
    {
        Ok(event) => event,
        Err(error) => return refused(&error),
    };
    let slow = query_param(&uri, "slow_ms")
        .and_then(|ms| ms.parse::<u64>().ok())
        .map_or(0, |ms| ms.min(MAX_SLOW_MS));
    let key = event.delivery_key();
    let body_hash = event.body_hash();
    // `handle_once` and this handler block (the store is synchronous, the
    // handler sleeps): off the async runtime, so other requests are served
    // meanwhile.
    let worker = Arc::clone(&receiver);
    let handled = tokio::task::spawn_blocking(move || {
        handle_once(
            &worker.store,
            &key,
            &body_hash,
            DedupeOptions::default(),
            || {
                let calls = {
                    let mut handled = worker
                        .handled
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    let calls = handled.entry(key.clone()).or_insert(0);
                    *calls += 1;
                    *calls
                };
                std::thread::sleep(Duration::from_millis(slow));
                Ok::<_, std::convert::Infallible>(json!({
                    "event_type": event.event_type(),
                    "delivery_key": key,
                    "handled": calls,
                }))
            },
        )
    })
    .await;
    let handled = match handled {
        Ok(handled) => handled,
        Err(_) => {
            // The handler panicked: its claim stays until the lease ends.
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum_json(&json!({ "error": "handler_failed" })),
            )
                .into_response();
        }
    };
    match handled {
        Handled::Done { value, store_error } => {
            if let Some(error) = store_error {
                eprintln!("de-duplication: {error}");
            }
            accepted(value)
        }
        Handled::Failed { error, .. } => match error {},
        Handled::Conflict {
            ref body_hash,
            ref stored_hash,
            in_flight,
        } => {
            // Both hashes, never the body.
            eprintln!(
                "de-duplication: delivery_conflict: body {body_hash}, stored {stored_hash} (in flight: {in_flight})"
            );
            (
                StatusCode::CONFLICT,
                [("content-type", "application/json")],
                bullseye_webhooks::delivery::CONFLICT_ANSWER,
            )
                .into_response()
        }
        other => match other.answer() {
            Some(answer) => {
                let status = StatusCode::from_u16(answer.status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut response =
                    (status, [("content-type", "application/json")], answer.body).into_response();
                if let Some(seconds) = answer.retry_after_secs {
                    response.headers_mut().insert("retry-after", seconds.into());
                }
                response
            }
            None => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum_json(&json!({ "error": "unexpected" })),
            )
                .into_response(),
        },
    }
}

/// `GET /handled?key=KEY`: how many times the `/bullseye-once` handler ran
/// for that delivery key.
async fn handled_count(State(receiver): State<Arc<Receiver>>, uri: Uri) -> Response {
    let Some(key) = query_param(&uri, "key") else {
        return (
            StatusCode::BAD_REQUEST,
            axum_json(&json!({ "error": "no key" })),
        )
            .into_response();
    };
    let calls = receiver
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

fn refused(error: &Error) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum_json(&json!({ "error": error.code() }))).into_response()
}

fn axum_json(body: &serde_json::Value) -> ([(&'static str, &'static str); 1], String) {
    ([("content-type", "application/json")], body.to_string())
}
