//! The `http` feature: verifying from an `http::HeaderMap`, as axum, actix
//! and hyper hand it over.
#![cfg(feature = "http")]
#![allow(clippy::unwrap_used)]

use bullseye_webhooks::{BitnobWebhook, Event, Webhook, header_pairs, sign, sign_bitnob};
use http::{HeaderMap, HeaderValue};

const SECRET: &str = "whsec_http_feature";
const BODY: &[u8] = br#"{"event":"visitor.identified","session_id":"sess_1"}"#;

fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_bytes(value).unwrap());
    }
    map
}

fn code(result: Result<Event, bullseye_webhooks::Error>) -> &'static str {
    result.err().map_or("ok", |e| e.code())
}

#[test]
fn a_signed_delivery_verifies_whatever_the_header_case() {
    let webhook = Webhook::new(SECRET).unwrap();
    let signature = sign(SECRET, BODY);
    let map = headers(&[("X-Bullseye-Signature", signature.as_bytes())]);
    let event = webhook.construct_event_from_headers(BODY, &map).unwrap();
    assert_eq!(event.event_type(), "visitor.identified");
    webhook.verify_headers(BODY, &map).unwrap();
}

#[test]
fn refusals_keep_the_cores_codes() {
    let webhook = Webhook::new(SECRET).unwrap();
    let signature = sign(SECRET, BODY);
    let cases: [(HeaderMap, &str); 5] = [
        (HeaderMap::new(), "missing_signature"),
        (
            headers(&[("x-bullseye-signature", b"")]),
            "missing_signature",
        ),
        (
            headers(&[("x-bullseye-signature", b"ab12")]),
            "malformed_signature",
        ),
        (
            headers(&[("x-bullseye-signature", &[b'0'; 64])]),
            "signature_mismatch",
        ),
        // Two copies are joined, never one of them silently chosen.
        (
            headers(&[
                ("x-bullseye-signature", signature.as_bytes()),
                ("x-bullseye-signature", signature.as_bytes()),
            ]),
            "malformed_signature",
        ),
    ];
    for (map, expected) in cases {
        assert_eq!(
            code(webhook.construct_event_from_headers(BODY, &map)),
            expected,
            "{map:?}"
        );
    }
}

#[test]
fn a_value_that_is_not_visible_ascii_reads_as_absent() {
    let webhook = Webhook::new(SECRET).unwrap();
    let map = headers(&[("x-bullseye-signature", b"\xff\xfe")]);
    assert_eq!(
        code(webhook.construct_event_from_headers(BODY, &map)),
        "missing_signature"
    );
    assert_eq!(header_pairs(&map).count(), 0);
}

#[test]
fn bitnob_reads_its_three_headers_from_the_map() {
    let secret = "bitnob_http_feature";
    let body = br#"{"event":"charge.success","data":{"id":"c_1"}}"#;
    let timestamp = "1764590400";
    let signature = sign_bitnob(secret, timestamp, body);
    let map = headers(&[
        ("X-Bitnob-Signature", signature.as_bytes()),
        ("X-Bitnob-Timestamp", timestamp.as_bytes()),
        ("X-Bitnob-Event", b"charge.success"),
    ]);
    let bitnob = BitnobWebhook::new(secret).unwrap().without_tolerance();
    let event = bitnob.construct_event_from_headers(body, &map).unwrap();
    assert_eq!(event.event_type(), "charge.success");
    let tampered = br#"{"event":"charge.success","data":{"id":"c_2"}}"#;
    assert_eq!(
        code(bitnob.construct_event_from_headers(tampered, &map)),
        "signature_mismatch"
    );
}
