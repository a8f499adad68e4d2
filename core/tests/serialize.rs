//! Events serialize back to the payload's own object, unknown fields kept.

#![allow(clippy::unwrap_used)]

use bullseye_webhooks::{Webhook, sign};
use serde_json::json;

fn event_json(body: &[u8]) -> serde_json::Value {
    let webhook = Webhook::new("whsec_s").unwrap();
    let event = webhook
        .construct_event(body, &sign("whsec_s", body))
        .unwrap();
    serde_json::to_value(&event).unwrap()
}

#[test]
fn an_event_key_payload_gains_event_type_and_keeps_everything() {
    let body = br#"{"event":"visitor.identified","visitor":{"email":"a@b.example","shoe_size":44},"x":[1,null]}"#;
    assert_eq!(
        event_json(body),
        json!({
            "event_type": "visitor.identified",
            "event": "visitor.identified",
            "visitor": {"email": "a@b.example", "shoe_size": 44},
            "x": [1, null]
        })
    );
}

#[test]
fn an_event_type_payload_serializes_unchanged() {
    let body = br#"{"event_type":"webhook.test","message":"hi","n":1.5}"#;
    assert_eq!(
        event_json(body),
        json!({"event_type": "webhook.test", "message": "hi", "n": 1.5})
    );
}

#[test]
fn a_null_event_type_reads_as_the_resolved_type() {
    let body = br#"{"event_type":null,"event":"visitor.identified","x":1}"#;
    assert_eq!(
        event_json(body),
        json!({"event_type": "visitor.identified", "event": "visitor.identified", "x": 1})
    );
}
