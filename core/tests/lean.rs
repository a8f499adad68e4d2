//! The lean readers (`check_event`, `parse_visit_json`, `identified_ids`)
//! against the reference path (`construct_event`, `parse_visit` with serde),
//! on generated JSON *text*: repeated keys, escapes, whitespace, tricky
//! numbers, lone surrogates, and texts broken by a mutation, which a
//! generator of `Value`s never produces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bullseye_webhooks::{Error, Webhook, identified_ids, parse_visit, parse_visit_json, sign};
use proptest::prelude::*;
use serde_json::Value;

const SECRET: &str = "whsec_lean";

fn webhook() -> Webhook {
    Webhook::new(SECRET).unwrap()
}

/// Keys the readers know, spelled plainly or with an escape, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("event"),
        Just("event_type"),
        Just("type"),
        Just("timestamp"),
        Just("visitor"),
        Just("company"),
        Just("session"),
        Just("page_views"),
        Just("workspace"),
        Just("id"),
        Just("email"),
        Just("employee_count"),
        Just("pages_visited"),
        Just("first_visit"),
        Just("url"),
        Just("visited_at"),
        Just("name"),
        Just("firstSeen"),
        Just("location"),
        Just("screen"),
        Just("params"),
        Just("ip"),
        Just("\\u0065vent"),
        Just("em\\u0061il"),
        Just("other"),
    ]
    .prop_map(|key| format!("\"{key}\""))
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("visitor.identified"),
        Just("visitor\\u002eidentified"),
        Just("NEW_VISIT"),
        Just("2025-01-15T10:30:00Z"),
        Just("2025-01-15T10:30:00.5+01:00"),
        Just("\\u0032025-01-15T10:30:00Z"),
        Just("6"),
        Just("-12"),
        Just("0123"),
        Just("true"),
        Just("\\u0036"),
        Just("99999999999999999999"),
        Just(""),
        Just("a\\\"b\\\\c\\/\\b\\f\\n\\r\\t"),
        Just("\\ud83d\\ude00"),
        Just("\\ud800"),
        Just("\\udc00"),
        Just("\\ud800\\u0041"),
        Just("\\x"),
        Just("tab\there"),
        Just("é日本"),
    ]
    .prop_map(str::to_owned)
    .boxed()
    .prop_union("[a-z0-9 .:-]{0,12}".prop_map(String::from).boxed())
    .prop_map(|s| format!("\"{s}\""))
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("42".to_owned()),
        Just("-42".to_owned()),
        Just("3.0".to_owned()),
        Just("1e2".to_owned()),
        Just("01".to_owned()),
        Just("1.".to_owned()),
        Just("-".to_owned()),
        Just("1e400".to_owned()),
        Just("1e-400".to_owned()),
        Just("1.7976931348623157e308".to_owned()),
        Just("1.7976931348623159e308".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("0e99999999999".to_owned()),
        Just("1e99999999999".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        (
            "[1-9][0-9]{0,330}",
            "(\\.[0-9]{1,30})?",
            "([eE][+-]?[0-9]{1,4})?"
        )
            .prop_map(|(int, frac, exp)| format!("{int}{frac}{exp}")),
    ]
}

fn whitespace() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\n\t "), 1 => Just("\r\n")]
}

/// A JSON text (mostly valid) built token by token.
fn text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        string(),
        number(),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((whitespace(), inner.clone()), 0..4).prop_map(|items| {
                let items: Vec<String> =
                    items.into_iter().map(|(w, v)| format!("{w}{v}")).collect();
                format!("[{}]", items.join(","))
            }),
            proptest::collection::vec((key(), whitespace(), inner), 0..7).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, w, v)| format!("{k}:{w}{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// An event or visit object around generated members, maybe broken.
fn document() -> impl Strategy<Value = String> {
    let typed = prop_oneof![
        Just("\"event\":\"visitor.identified\","),
        Just("\"event_type\":\"visitor.identified\","),
        Just("\"event\":\"NEW_VISIT\","),
        Just(""),
    ];
    let members = proptest::collection::vec((key(), text()), 0..8);
    let mutation = prop_oneof![
        6 => Just(None),
        1 => (any::<prop::sample::Index>(), prop_oneof![Just(""), Just(","), Just("\""), Just("}"), Just("\\"), Just("\u{1}")])
            .prop_map(Some),
    ];
    (whitespace(), typed, members, mutation).prop_map(|(w, typed, members, mutation)| {
        let members: Vec<String> = members
            .into_iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        let mut text = format!("{w}{{{typed}{}}}{w}", members.join(","));
        if let Some((at, insert)) = mutation {
            // Replace one character (or delete it, inserting nothing).
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let start = boundaries[at.index(boundaries.len())];
            let end = start + text[start..].chars().next().map_or(0, char::len_utf8);
            text.replace_range(start..end, insert);
        }
        text
    })
}

fn with_tolerance(tolerance: bool) -> Webhook {
    let webhook = webhook();
    if tolerance {
        webhook.with_tolerance(std::time::Duration::from_secs(300))
    } else {
        webhook
    }
}

fn assert_event_readers_agree(text: &str, tolerance: bool) {
    let webhook = with_tolerance(tolerance);
    let signature = sign(SECRET.as_bytes(), text.as_bytes());
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_736_937_000);
    let lean = webhook.check_event_at(text.as_bytes(), &signature, now);
    let reference = webhook
        .construct_event_at(text.as_bytes(), &signature, now)
        .map(|event| event.event_type().to_owned());
    assert_eq!(lean, reference, "{text}");
    // Whether the text is JSON at all: the scanner and serde_json agree.
    // (Below the depth limit, which is checked first, on its own.)
    let too_deep = matches!(&lean, Err(Error::InvalidBody(m)) if m.contains("nested deeper"));
    let mut parser = serde_json::Deserializer::from_str(text);
    parser.disable_recursion_limit();
    let serde_accepts = <Value as serde::Deserialize>::deserialize(&mut parser)
        .and_then(|_| parser.end())
        .is_ok();
    let lean_refused_syntax =
        matches!(&lean, Err(Error::InvalidBody(m)) if m.contains("not valid JSON"));
    if !too_deep {
        assert_eq!(!serde_accepts, lean_refused_syntax, "{text}: {lean:?}");
    }
    if let Ok(event) = webhook.construct_event_at(text.as_bytes(), &signature, now) {
        let typed = event.as_visitor_identified();
        let expected = (
            typed.and_then(|e| e.visitor.as_ref()?.id.clone()),
            typed.and_then(|e| e.company.as_ref()?.id.clone()),
        );
        if typed.is_some() {
            assert_eq!(identified_ids(text.as_bytes()), expected, "{text}");
        }
    }
}

fn assert_visit_readers_agree(text: &str) {
    let lean = parse_visit_json(text.as_bytes());
    let reference = parse_visit(text.as_bytes());
    match (lean, reference) {
        (Ok(json), Ok(visit)) => {
            let lean: Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{text}: the lean view is not JSON ({e}): {json}"));
            assert_eq!(lean, serde_json::to_value(&visit).unwrap(), "{text}");
        }
        (lean, reference) => assert_eq!(lean.err(), reference.err(), "{text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn lean_and_reference_readers_agree_on_generated_text(text in document(), tolerance in any::<bool>()) {
        assert_event_readers_agree(&text, tolerance);
        assert_visit_readers_agree(&text);
    }

    #[test]
    fn lean_and_reference_agree_on_any_value(text in text()) {
        assert_event_readers_agree(&text, false);
        assert_visit_readers_agree(&text);
    }
}

#[test]
fn readers_agree_on_hand_picked_texts() {
    for text in [
        r#"{"event":"visitor.identified","visitor":{"id":42},"company":{"id":"c1"}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":-0}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":1.5}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":18446744073709551615}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":1,"id":"x"},"visitor":{"id":7}}"#,
        r#"{"event":"visitor.identified","page_views":[{"url":"u"},null,{"url":3}]}"#,
        r#"{"event":"visitor.identified","page_views":[{"url":1},{"url":3}],"page_views":[]}"#,
        r#"{"event":"visitor.identified","session":{"pages_visited":9223372036854775808}}"#,
        r#"{"event":"visitor.identified","timestamp":5,"visitor":3}"#,
        r#"{"event":"billing","timestamp":5}"#,
        r#"{"event":"billing","timestamp":"\u0032025-01-15T10:30:00Z"}"#,
        r#"{"event_type":"NEW_VISIT","screen":{"w":"1920","h":"\u0031080","a":["true","x"]}}"#,
        r#"{"type":"NEW_VISITOR","visitor":{"id":5,"firstSeen":"12","company":{"name":"A","domain":2}}}"#,
        r#"{"event":7}"#,
        r#"{"event_type":null,"event":"x","type":3}"#,
        "{\"event\":\"x\"}\u{a0}",
        "\u{feff}{}",
        "",
        "[]",
        "1e400",
    ] {
        assert_event_readers_agree(text, false);
        assert_event_readers_agree(text, true);
        assert_visit_readers_agree(text);
    }
}

#[test]
fn the_depth_limit_wins_as_in_the_reference_path() {
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
        // Broken before, inside or after the deep part.
        format!("{{\"event\":01,\"a\":{}}}", "[".repeat(200)),
        nested(129, "01"),
        nested(128, "01"),
        format!("{}x", nested(129, "1")),
        format!("{}x", nested(128, "1")),
        format!("[{}", "\"[".repeat(300)),
    ] {
        assert_event_readers_agree(&text, false);
        assert_visit_readers_agree(&text);
    }
}
