//! The queue envelope: every case of `fixtures/envelope-vectors.json`
//! (written by `fixtures/generate_envelopes.py` with Python's standard
//! library, expected envelopes as literal JSON), and what the envelope must
//! never show.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::{
    BitnobWebhook, DEFAULT_MAX_BODY_BYTES, Envelope, EnvelopeScheme, OpenError, Webhook,
};
use serde_json::Value;

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/envelope-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

enum Verifier {
    Bullseye(Webhook),
    Bitnob(BitnobWebhook),
}

fn verifier(spec: &Value) -> Verifier {
    let secrets: Vec<&str> = spec["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let tolerance = spec["tolerance"].as_u64().map(Duration::from_secs);
    match spec["kind"].as_str().unwrap() {
        "webhook" => {
            let mut webhook = Webhook::with_secrets(secrets).unwrap();
            if let Some(tolerance) = tolerance {
                webhook = webhook.with_tolerance(tolerance);
            }
            Verifier::Bullseye(webhook)
        }
        "bitnob" => {
            let mut bitnob = BitnobWebhook::with_secrets(secrets).unwrap();
            if let Some(tolerance) = tolerance {
                bitnob = bitnob.with_tolerance(tolerance);
            }
            Verifier::Bitnob(bitnob)
        }
        other => panic!("unknown verifier kind {other}"),
    }
}

#[test]
fn make_vectors() {
    let vectors = vectors();
    let cases = vectors["make"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let body = case["body"].as_str().unwrap().as_bytes();
        let headers: Vec<(&str, &str)> = case["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
            .collect();
        let at = UNIX_EPOCH + Duration::from_millis(case["received_at_ms"].as_u64().unwrap());
        let made = match (
            verifier(&case["verifier"]),
            case["scheme"].as_str().unwrap(),
        ) {
            (Verifier::Bullseye(w), "bullseye_event") => {
                w.make_envelope(body, headers.iter().copied(), at)
            }
            (Verifier::Bullseye(w), "visit") => {
                w.make_visit_envelope(body, headers.iter().copied(), at)
            }
            (Verifier::Bitnob(b), "bitnob") => b.make_envelope(body, headers.iter().copied(), at),
            _ => panic!("{name}: no such verifier and scheme"),
        };
        let expected = &case["expected"];
        match expected["error"].as_str() {
            Some(code) => assert_eq!(made.unwrap_err().code(), code, "{name}"),
            None => {
                let envelope = made.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(envelope.key(), expected["key"].as_str().unwrap(), "{name}");
                assert_eq!(
                    envelope.to_json(),
                    expected["envelope"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    envelope.scheme().as_str(),
                    case["scheme"].as_str().unwrap(),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn open_vectors() {
    let vectors = vectors();
    let cases = vectors["open"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let text = case["envelope"].as_str().unwrap();
        let expected = &case["expected"];
        let opened: Result<(String, String), OpenError> =
            Envelope::from_json(text.as_bytes(), DEFAULT_MAX_BODY_BYTES)
                .map_err(OpenError::from)
                .and_then(|envelope| match verifier(&case["verifier"]) {
                    Verifier::Bullseye(w) if envelope.scheme() == EnvelopeScheme::Visit => w
                        .open_visit_envelope(&envelope)
                        .map(|v| (v.event_type.clone().unwrap_or_default(), v.delivery_key())),
                    Verifier::Bullseye(w) => w
                        .open_envelope(&envelope)
                        .map(|e| (e.event_type().to_owned(), e.delivery_key())),
                    Verifier::Bitnob(b) => b
                        .open_envelope(&envelope)
                        .map(|e| (e.event_type().to_owned(), e.delivery_key())),
                });
        match expected["error"].as_str() {
            Some(code) => assert_eq!(opened.unwrap_err().code(), code, "{name}"),
            None => {
                let (event_type, key) = opened.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    event_type,
                    expected["event_type"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(key, expected["key"].as_str().unwrap(), "{name}");
            }
        }
    }
}

#[test]
fn a_read_envelope_writes_the_same_text() {
    for case in vectors()["make"].as_array().unwrap() {
        if let Some(text) = case["expected"]["envelope"].as_str() {
            let envelope = Envelope::from_json(text.as_bytes(), DEFAULT_MAX_BODY_BYTES).unwrap();
            assert_eq!(envelope.to_json(), text);
        }
    }
}

#[test]
fn debug_shows_no_body_and_no_header_value() {
    let vectors = vectors();
    let text = vectors["make"][0]["expected"]["envelope"].as_str().unwrap();
    let envelope = Envelope::from_json(text.as_bytes(), DEFAULT_MAX_BODY_BYTES).unwrap();
    let debug = format!("{envelope:?}");
    assert!(!debug.contains("jane@example.com"), "{debug}");
    let signature = envelope.headers().next().unwrap().1.to_owned();
    assert!(!debug.contains(&signature), "{debug}");
    assert!(debug.contains("x-bullseye-signature"), "{debug}");
}

#[test]
fn an_envelope_longer_than_its_body_limit_allows_is_refused_before_parsing() {
    // 6 bytes per body byte (a control character escaped) and 16 KiB more.
    let long = vec![b' '; 100 * 6 + 16 * 1024 + 1];
    let error = Envelope::from_json(&long, 100).unwrap_err();
    assert_eq!(error.code(), "invalid_envelope");
    assert!(error.message().contains("more than"), "{error}");
}
