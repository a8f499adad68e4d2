//! The `tracing` feature on a real axum server: a refusal is one WARN
//! record (code, signature header present or not, body length), an
//! accepted delivery one DEBUG record with its mismatches, and nothing
//! recorded holds the secret, a signature or a body value; each delivery
//! is one span with `verify`, `claim` and `handle` children, exported
//! through tracing-opentelemetry to OpenTelemetry's in-memory exporter.

#![cfg(feature = "tracing")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use bullseye_webhooks::delivery::MemoryStore;
use bullseye_webhooks::{Webhook, sign};
use bullseye_webhooks_axum::Receiver;
use common::{client, payload, send};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const SECRET: &str = "whsec_tracing_secret_never_logged_0d4f";

/// One record: its level, target and every field (the message included).
#[derive(Debug, Clone)]
struct Record {
    level: tracing::Level,
    target: String,
    fields: String,
}

/// A subscriber layer keeping every event and every span field.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<(Vec<Record>, String)>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = String::new();
        event.record(&mut Fields(&mut fields));
        let metadata = event.metadata();
        self.0.lock().unwrap().0.push(Record {
            level: *metadata.level(),
            target: metadata.target().to_owned(),
            fields,
        });
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        let mut text = String::new();
        attrs.record(&mut Fields(&mut text));
        self.0.lock().unwrap().1.push_str(&text);
    }

    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: Context<'_, S>,
    ) {
        let mut text = String::new();
        values.record(&mut Fields(&mut text));
        self.0.lock().unwrap().1.push_str(&text);
    }
}

/// Every string value of a JSON payload, other than its type.
fn string_values(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s != "visitor.identified" && s.len() >= 4 => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| string_values(v, out)),
        Value::Object(map) => map.values().for_each(|v| string_values(v, out)),
        _ => {}
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

#[test]
fn one_record_per_refusal_and_one_span_per_delivery() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(capture.clone())
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    // The server runs on other threads: the subscriber is the process's.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let receiver = Receiver::new(Webhook::new(SECRET).unwrap().with_max_body_bytes(4096))
        .with_store(MemoryStore::new());
    let app = Router::new().route(
        "/bullseye",
        post(|| async {
            tracing::info!(target: "handler", "handling");
            "handled"
        })
        .layer(receiver.layer()),
    );
    let url = format!("{}/bullseye", common::serve_axum(app));
    let agent = client();
    // Four of its documented fields arrive with another JSON type.
    let body = payload("identification-event.json");
    let signature = sign(SECRET, &body);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|&b| b == b'@').unwrap();
    tampered[at] = b'#';
    let large = vec![b'x'; 5000];
    let large_signature = sign(SECRET, &large);

    let header = "X-Bullseye-Signature";
    assert_eq!(
        send(&agent, &url, &[(header, &signature)], &body).status,
        200
    );
    assert_eq!(
        send(&agent, &url, &[(header, &signature)], &body).status,
        200
    ); // the duplicate
    assert_eq!(
        send(&agent, &url, &[(header, &signature)], &tampered).status,
        401
    );
    assert_eq!(send(&agent, &url, &[], &body).status, 400);
    assert_eq!(
        send(&agent, &url, &[(header, &large_signature)], &large).status,
        413
    );

    // The spans end as the answers leave: wait until all five are exported.
    let deadline = Instant::now() + Duration::from_secs(10);
    let spans = loop {
        let spans = exporter.get_finished_spans().unwrap();
        let deliveries = spans
            .iter()
            .filter(|s| s.name == "bullseye-webhooks delivery")
            .count();
        if deliveries == 5 || Instant::now() > deadline {
            break spans;
        }
        std::thread::sleep(Duration::from_millis(10));
    };

    // Logs: one WARN per refusal, one DEBUG per accepted delivery.
    let (records, span_fields) = capture.0.lock().unwrap().clone();
    let ours: Vec<&Record> = records
        .iter()
        .filter(|r| r.target == "bullseye_webhooks")
        .collect();
    let warnings: Vec<&&Record> = ours
        .iter()
        .filter(|r| r.level == tracing::Level::WARN)
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    for (record, code, present, length) in [
        (warnings[0], "signature_mismatch", true, tampered.len()),
        (warnings[1], "missing_signature", false, body.len()),
        (warnings[2], "body_too_large", true, large.len()),
    ] {
        assert!(
            record.fields.contains(&format!("code=\"{code}\"")),
            "{record:?}"
        );
        assert!(
            record
                .fields
                .contains(&format!("signature_header={present}")),
            "{record:?}"
        );
        assert!(
            record.fields.contains(&format!("body_bytes={length}")),
            "{record:?}"
        );
    }
    let debugs: Vec<&&Record> = ours
        .iter()
        .filter(|r| r.level == tracing::Level::DEBUG)
        .collect();
    assert_eq!(debugs.len(), 2, "{debugs:#?}");
    assert!(debugs[0].fields.contains("mismatches=4"), "{:?}", debugs[0]);
    assert!(
        debugs[0]
            .fields
            .contains("event_type=\"visitor.identified\""),
        "{:?}",
        debugs[0]
    );
    assert_eq!(ours.len(), 5, "{ours:#?}");

    // Nothing recorded or exported holds the secret, a signature or a value
    // of the body.
    let everything = format!("{records:?} {span_fields} {spans:?}");
    let mut secrets = vec![
        SECRET.to_owned(),
        signature.clone(),
        large_signature.clone(),
        "x".repeat(32),
    ];
    let mut values = Vec::new();
    string_values(&serde_json::from_slice(&body).unwrap(), &mut values);
    assert!(values.len() > 20, "{values:?}");
    secrets.extend(values);
    for secret in &secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "{secret:?} was recorded"
        );
    }

    // Spans: one per delivery, its steps as children, its outcome.
    let deliveries: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "bullseye-webhooks delivery")
        .collect();
    let mut outcomes: Vec<(Option<String>, Option<String>, Option<String>)> = deliveries
        .iter()
        .map(|s| {
            (
                attribute(s, "bullseye.outcome"),
                attribute(s, "http.response.status_code"),
                attribute(s, "bullseye.event_type"),
            )
        })
        .collect();
    outcomes.sort();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        outcomes,
        [
            (some("body_too_large"), some("413"), None),
            (some("duplicate"), some("200"), some("visitor.identified")),
            (some("missing_signature"), some("400"), None),
            (some("ok"), some("200"), some("visitor.identified")),
            (some("signature_mismatch"), some("401"), None),
        ]
    );
    let handled = deliveries
        .iter()
        .find(|s| attribute(s, "bullseye.outcome").as_deref() == Some("ok"))
        .unwrap();
    let mut steps: Vec<&str> = spans
        .iter()
        .filter(|s| s.parent_span_id == handled.span_context.span_id())
        .map(|s| s.name.as_ref())
        .collect();
    steps.sort_unstable();
    assert_eq!(steps, ["claim", "handle", "verify"]);
    // The handler's own record is inside `handle`.
    let handle = spans.iter().find(|s| s.name == "handle").unwrap();
    assert_eq!(handle.parent_span_id, handled.span_context.span_id());
    assert!(
        handle.events.iter().any(|e| e.name == "handling"),
        "{handle:?}"
    );
    let refused = deliveries
        .iter()
        .find(|s| attribute(s, "bullseye.outcome").as_deref() == Some("signature_mismatch"))
        .unwrap();
    assert_eq!(refused.status, opentelemetry::trace::Status::error(""));
}
