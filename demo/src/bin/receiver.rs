//! The Rust example receiver: an axum server on 127.0.0.1 that verifies
//! Bullseye deliveries on `POST /bullseye` and fingerprinting-api visits on
//! `POST /visit`, answering as the demo's receiver protocol says (see
//! `demo/README.md`).
//!
//! Secrets come from `DEMO_SECRET` and `DEMO_PREVIOUS_SECRET`; the bound
//! address is printed on the first line of stdout.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bullseye_webhooks::{
    Error, Event, Mismatch, SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, Webhook,
};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("DEMO_SECRET")?;
    let previous = std::env::var("DEMO_PREVIOUS_SECRET")?;
    // Rotation: the new secret first, the one being retired after it.
    let webhook = Arc::new(Webhook::with_secrets([secret, previous])?);
    let app = Router::new()
        .route("/bullseye", post(bullseye))
        .route("/visit", post(visit))
        .with_state(webhook);
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
    State(webhook): State<Arc<Webhook>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // `Bytes` is the raw body exactly as received: nothing re-serialized it.
    match webhook.construct_event(&body, header(&headers, SIGNATURE_HEADER)) {
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

async fn visit(State(webhook): State<Arc<Webhook>>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = webhook
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
