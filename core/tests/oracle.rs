//! The one reader against an oracle: an independent reading of the schema
//! and of the drift rules (CONTRACT.md, "Field types and drift") written
//! here on top of serde_json, on generated JSON *text*: repeated keys,
//! escapes, whitespace, tricky numbers, lone surrogates, wrong types at
//! documented paths, and texts broken by a mutation.
//!
//! For every text it checks: the error (or none), the typed view, and the
//! mismatch list; that the check mode (`check_event`, `check_visit`) gives
//! the same answers; and that the JavaScript way of building an object (the
//! parsed body, each mismatch's typed value and each typing written at its
//! path) gives the typed view at every documented path.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bullseye_webhooks::{
    Error, Mismatch, Webhook, check_visit, parse_visit, parse_visit_strict, sign,
};
use proptest::prelude::*;
use serde_json::Value;

use documented::{IDENTIFICATION, Ty, VISIT};
use expect::{Expected, Found, oracle_event, oracle_visit};
use texts::{document, drifted, text};

// The oracle's parts, in oracle/ beside this file: a test crate's root
// would look for them next to it, where cargo takes every file for a test.
#[path = "oracle/documented.rs"]
mod documented;
#[path = "oracle/expect.rs"]
mod expect;
#[path = "oracle/ordered.rs"]
mod ordered;
#[path = "oracle/texts.rs"]
mod texts;

const SECRET: &str = "whsec_oracle";

fn listed(mismatches: &[Mismatch]) -> Found {
    mismatches
        .iter()
        .map(|m| {
            let name = |t: bullseye_webhooks::JsonType| -> &'static str {
                ["string", "integer", "number", "boolean", "object", "array"]
                    .into_iter()
                    .find(|n| *n == t.as_str())
                    .unwrap()
            };
            (
                m.path().to_owned(),
                name(m.expected()),
                name(m.found()),
                m.value(),
            )
        })
        .collect()
}

/// The JavaScript way: the parsed body, each mismatch's typed value written
/// at its path (`[path, expected, found, typed]` from `mismatches_json`).
fn patched(raw: &Value, mismatches: &[Mismatch]) -> Value {
    let mut object = raw.clone();
    let list = bullseye_webhooks::mismatches_json(mismatches);
    if list.is_empty() {
        return object;
    }
    let entries: Vec<Value> = serde_json::from_str(&list).unwrap();
    for entry in entries {
        let path = entry[0].as_str().unwrap();
        if let Some(slot) = object.pointer_mut(&format!("/{}", path.replace('.', "/"))) {
            *slot = entry[3].clone();
        }
    }
    object
}

/// Every documented path of `typed` (a typed view) holds the same value in `object`.
fn assert_documented_paths_agree(typed: &Value, object: &Value, fields: &[(&str, Ty)], text: &str) {
    for (name, ty) in fields {
        let want = &typed[*name];
        let got = object.get(*name).unwrap_or(&Value::Null);
        match ty {
            Ty::Record(inner) if want.is_object() => {
                assert_documented_paths_agree(want, got, inner, text)
            }
            Ty::List(inner) if want.is_array() => {
                for (i, item) in want.as_array().unwrap().iter().enumerate() {
                    if item.is_object() {
                        assert_documented_paths_agree(item, &got[i], inner, text);
                    } else {
                        assert_eq!(&got[i], &Value::Null, "{text}: {name}.{i}");
                    }
                }
            }
            // The JS view keeps a `null` where the typed view has None.
            _ => assert_eq!(got, want, "{text}: {name}"),
        }
    }
}

fn assert_event_matches_oracle(text: &str, strict: bool, tolerance: bool) {
    let mut webhook = Webhook::new(SECRET).unwrap().with_strict(strict);
    if tolerance {
        webhook = webhook.with_tolerance(std::time::Duration::from_secs(300));
    }
    let signature = sign(SECRET.as_bytes(), text.as_bytes());
    let now_secs = 1_736_937_000;
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now_secs as u64);
    let expected = oracle_event(text, strict, tolerance.then_some(now_secs));
    let built = webhook.construct_event_at(text.as_bytes(), &signature, now);
    let checked = webhook.check_event_at(text.as_bytes(), &signature, now);
    let got = match &built {
        Err(e) => Expected::Error(e.code()),
        Ok(event) => Expected::Event {
            event_type: event.event_type().to_owned(),
            typed: event
                .as_visitor_identified()
                .map(|e| serde_json::to_value(e).unwrap()),
            mismatches: listed(event.mismatches()),
        },
    };
    assert_eq!(got, expected, "{text}");
    match (&built, &checked) {
        (Ok(event), Ok(checked)) => {
            assert_eq!(checked.event_type, event.event_type(), "{text}");
            assert_eq!(checked.mismatches, event.mismatches(), "{text}");
            if let Some(typed) = event.as_visitor_identified() {
                let typed = serde_json::to_value(typed).unwrap();
                let object = patched(&Value::Object(event.raw().clone()), &checked.mismatches);
                assert_documented_paths_agree(&typed, &object, IDENTIFICATION, text);
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
        (a, b) => panic!("{text}: construct {a:?} but check {b:?}"),
    }
}

fn assert_visit_matches_oracle(text: &str, strict: bool) {
    let expected = oracle_visit(text, strict);
    let built = if strict {
        parse_visit_strict(text.as_bytes())
    } else {
        parse_visit(text.as_bytes())
    };
    let checked = check_visit(text.as_bytes(), strict);
    match (&built, expected) {
        (Ok(visit), Ok((view, mismatches))) => {
            assert_eq!(serde_json::to_value(visit).unwrap(), view, "{text}");
            assert_eq!(listed(visit.mismatches()), mismatches, "{text}");
            let checked = checked.unwrap_or_else(|e| panic!("{text}: check refused: {e}"));
            assert_eq!(checked.mismatches, visit.mismatches(), "{text}");
            assert_eq!(checked.event_type, visit.event_type, "{text}");
            // The JavaScript way, with the typings applied where the value
            // is still the string as sent.
            let mut object = patched(&Value::Object(visit.raw().clone()), &checked.mismatches);
            let typings: Vec<Value> = serde_json::from_str(&checked.typings_json).unwrap();
            for typing in typings {
                let pointer: String = typing[0]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| match s {
                        Value::String(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
                        other => format!("/{other}"),
                    })
                    .collect();
                if let Some(slot) = object.pointer_mut(&pointer) {
                    if *slot == typing[2] {
                        *slot = typing[1].clone();
                    }
                }
            }
            assert_documented_paths_agree(&view, &object, VISIT, text);
        }
        (Err(e), Err(code)) => {
            assert_eq!(e.code(), code, "{text}");
            assert_eq!(checked.err().as_ref(), Some(e), "{text}");
        }
        (got, want) => panic!("{text}: got {got:?}, the oracle expects {want:?}"),
    }
}

fn assert_all(text: &str) {
    for strict in [false, true] {
        for tolerance in [false, true] {
            assert_event_matches_oracle(text, strict, tolerance);
        }
        assert_visit_matches_oracle(text, strict);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_reader_matches_the_oracle_on_generated_documents(text in document()) {
        assert_all(&text);
    }

    #[test]
    fn the_reader_matches_the_oracle_on_any_value(text in text()) {
        assert_all(&text);
    }

    #[test]
    fn the_reader_matches_the_oracle_on_drifted_identifications(text in drifted()) {
        assert_all(&text);
    }
}

#[test]
fn the_documented_examples_read_without_mismatch() {
    for (name, visit) in [
        ("bullseye-partner-api-identification.json", false),
        ("fingerprinting-api-visit.json", true),
    ] {
        let path = format!("{}/../fixtures/payloads/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_all(&text);
        if visit {
            assert!(
                parse_visit(text.as_bytes())
                    .unwrap()
                    .mismatches()
                    .is_empty()
            );
        } else {
            let webhook = Webhook::new(SECRET).unwrap().with_strict(true);
            let event = webhook
                .construct_event(text.as_bytes(), &sign(SECRET, text.as_bytes()))
                .unwrap();
            assert!(event.mismatches().is_empty());
            let event = event.as_visitor_identified().unwrap();
            assert_eq!(event.company().unwrap().size(), Some(150));
        }
    }
}

#[test]
fn the_reader_matches_the_oracle_on_hand_picked_texts() {
    for text in [
        r#"{"event":"visitor.identified","visitor":{"id":42},"company":{"id":"c1","size":"150"}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":-0}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":1.5}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":18446744073709551615}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":1,"id":"x"},"visitor":{"id":7}}"#,
        r#"{"event":"visitor.identified","company":{"size":"x"},"visitor":{"id":1},"company":{"size":2}}"#,
        r#"{"event":"visitor.identified","page_views":[{"url":"u"},null,{"url":3},"x"]}"#,
        r#"{"event":"visitor.identified","page_views":[{"url":1},{"url":3}],"page_views":[]}"#,
        r#"{"event":"visitor.identified","session":{"pages_visited":9223372036854775808}}"#,
        r#"{"event":"visitor.identified","visitor":{"homeowner":"true","married":"True","persona_match":1}}"#,
        r#"{"event":"visitor.identified","timestamp":5,"visitor":3}"#,
        r#"{"event":"visitor.identified","session":{"first_visit":"tru\u0065","pages_visited":"\u0031\u0035"}}"#,
        r#"{"event_type":5,"event":"visitor.identified","company":{"size":"0150"}}"#,
        r#"{"event_type":"","event":"billing"}"#,
        r#"{"event_type":""}"#,
        r#"{"event":"billing","timestamp":5}"#,
        r#"{"event":"billing","timestamp":"\u0032025-01-15T10:30:00Z"}"#,
        // Named another type first, read as a generic event, unless a later
        // key makes it an identification after all.
        r#"{"event":"billing","organization_id":7,"event_type":"visitor.identified","visitor":{"id":3}}"#,
        r#"{"event_type":"billing","visitor":{"id":3},"event_type":"visitor.identified"}"#,
        r#"{"event_type":"vi\u0073itor.identified","visitor":{"id":1}}"#,
        r#"{"event_type":"billing","timestamp":"2025-01-15T10:30:00Z","session_id":12,"visitor":4}"#,
        r#"{"event_type":"billing","timestamp":"2025-01-15T10:30:00Z","timestamp":null}"#,
        r#"{"event":"billing","x":[1,{"a":tru}]}"#,
        r#"{"event":"billing","event":""}"#,
        r#"{"event_type":"NEW_VISIT","screen":{"w":"1920","h":"\u0031080","a":["true","x"]}}"#,
        r#"{"event_type":"NEW_VISIT","device":{"a":"6","a":"x"},"screen":{"a":["6"],"a":[]}}"#,
        r#"{"type":"NEW_VISITOR","visitor":{"id":5,"firstSeen":"12","company":{"name":"A","domain":2}}}"#,
        r#"{"event":7}"#,
        r#"{"event_type":null,"event":"x","type":3}"#,
        "{\"event\":\"x\"}\u{a0}",
        "\u{feff}{}",
        "",
        "[]",
        "1e400",
    ] {
        assert_all(text);
    }
}

#[test]
fn the_depth_limit_wins() {
    let nested = |depth: usize, inner: &str| {
        format!(
            "{{\"event\":\"x\",\"a\":{}{inner}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    for text in [
        nested(128, "1"),
        nested(129, "1"),
        nested(127, "1"),
        format!("{{\"event\":01,\"a\":{}}}", "[".repeat(200)),
        nested(129, "01"),
        nested(128, "01"),
        format!("{}x", nested(129, "1")),
        format!("{}x", nested(128, "1")),
        format!("[{}", "\"[".repeat(300)),
    ] {
        assert_all(&text);
    }
}

#[test]
fn strict_names_the_path_and_both_types_never_the_value() {
    let text = br#"{"event":"visitor.identified","company":{"size":"secret-ish 150"},"visitor":{"id":[1]}}"#;
    let webhook = Webhook::new(SECRET).unwrap().with_strict(true);
    let error = webhook
        .construct_event(text, &sign(SECRET, text))
        .unwrap_err();
    assert_eq!(
        error,
        Error::InvalidPayload("`company.size` must be an integer, but it is a string".to_owned())
    );
}
