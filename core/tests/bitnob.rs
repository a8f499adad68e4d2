//! The Bitnob verifier: every case of `fixtures/bitnob-vectors.json` (computed
//! with Python's hmac and hashlib, answers written as literals), the secret
//! helpers' vectors, secret hygiene, and properties over arbitrary input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobWebhook,
    ERROR_CODES, Error, Event, secret_last4, sign_bitnob, sign_bitnob_legacy,
};
use proptest::prelude::*;
use serde_json::{Value, json};

#[path = "bitnob/macs.rs"]
mod macs;

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bitnob-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn body_of(case: &Value) -> Vec<u8> {
    if let Some(text) = case["body"].as_str() {
        return text.as_bytes().to_vec();
    }
    if let Some(hex) = case["body_hex"].as_str() {
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
    }
    let repeat = &case["body_repeat"];
    let count = usize::try_from(repeat["count"].as_u64().unwrap()).unwrap();
    repeat["text"].as_str().unwrap().repeat(count).into_bytes()
}

fn secrets_of(case: &Value) -> Vec<String> {
    case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The verifier a case describes (construction may itself fail).
fn verifier_of(case: &Value) -> Result<BitnobWebhook, Error> {
    let mut bitnob = BitnobWebhook::with_secrets(secrets_of(case))?;
    let options = &case["options"];
    match options.get("tolerance_seconds") {
        None => {}
        Some(Value::Null) => bitnob = bitnob.without_tolerance(),
        Some(seconds) => {
            bitnob = bitnob.with_tolerance(Duration::from_secs(seconds.as_u64().unwrap()));
        }
    }
    if let Some(legacy) = options["legacy_sha512"].as_bool() {
        bitnob = bitnob.with_legacy_sha512(legacy);
    }
    if let Some(max) = options["max_body_bytes"].as_u64() {
        bitnob = bitnob.with_max_body_bytes(usize::try_from(max).unwrap());
    }
    Ok(bitnob)
}

fn headers_of(case: &Value) -> Vec<(String, String)> {
    case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(headers: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> + Clone {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// An answer in the vectors' form: `{ok: true[, event_type]}` or `{ok: false, code}`.
fn answer<T>(result: &Result<T, Error>, event_type: impl Fn(&T) -> Option<String>) -> Value {
    match result {
        Ok(value) => match event_type(value) {
            Some(t) => json!({"ok": true, "event_type": t}),
            None => json!({"ok": true}),
        },
        Err(error) => json!({"ok": false, "code": error.code()}),
    }
}

/// Everything a refusal shows a user: its message and its `Debug`.
fn shown(error: &Error) -> String {
    format!("{error} {error:?}")
}

#[test]
fn every_bitnob_vector() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 100, "bitnob-vectors.json lost cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = format!("{} [{}]", case["name"], case["source"]);
        let body = body_of(case);
        let headers = headers_of(case);
        let now = UNIX_EPOCH + Duration::from_secs(case["now_unix"].as_u64().unwrap());
        let verifier = verifier_of(case);
        let verified = verifier
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|b| b.verify_at(&body, pairs(&headers), now));
        let event = verifier
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|b| b.construct_event_at(&body, pairs(&headers), now));
        let checked = verifier
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|b| b.check_event_at(&body, pairs(&headers), now));
        let got_verify = answer(&verified, |()| None);
        let got_event = answer(&event, |e: &Event| Some(e.event_type().to_owned()));
        let got_checked = answer(&checked, |c| Some(c.event_type.clone()));
        let expect = &case["expect"];
        if got_verify != expect["verify"] {
            failures.push(format!(
                "{name}: verify gave {got_verify}, expected {}",
                expect["verify"]
            ));
        }
        if got_event != expect["construct_event"] {
            failures.push(format!(
                "{name}: construct_event gave {got_event}, expected {}",
                expect["construct_event"]
            ));
        }
        if got_checked != got_event {
            failures.push(format!(
                "{name}: check_event gave {got_checked}, construct_event {got_event}"
            ));
        }
        if let Ok(event) = &event {
            // The whole object is kept, and serializes with the resolved type.
            let mut reader = serde_json::Deserializer::from_slice(&body);
            reader.disable_recursion_limit(); // the 128-deep vector
            let sent = <Value as serde::Deserialize>::deserialize(&mut reader).unwrap();
            if Value::Object(event.raw().clone()) != sent || event.raw_json().as_bytes() != body {
                failures.push(format!("{name}: raw() is not the body as sent"));
            }
            let serialized = serde_json::to_value(event).unwrap();
            if serialized["event_type"] != expect["construct_event"]["event_type"] {
                failures.push(format!("{name}: serialized as {serialized}"));
            }
            if !event.mismatches().is_empty() || event.as_visitor_identified().is_some() {
                failures.push(format!(
                    "{name}: a Bitnob event is generic, without mismatches"
                ));
            }
        }
        // Secret hygiene: no refusal shows a secret.
        let errors = [
            verified.as_ref().err(),
            event.as_ref().err(),
            checked.as_ref().err(),
        ];
        for error in errors.into_iter().flatten() {
            let text = shown(error);
            if secrets_of(case)
                .iter()
                .any(|s| !s.is_empty() && text.contains(s.as_str()))
            {
                failures.push(format!("{name}: a message shows a secret: {text}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} Bitnob vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn secret_last4_vectors() {
    let vectors = vectors();
    let list = vectors["secret_last4"].as_array().unwrap();
    assert!(list.len() >= 5);
    for item in list {
        let secret = item["secret"].as_str().unwrap();
        assert_eq!(
            secret_last4(secret),
            item["last4"].as_str().unwrap(),
            "{item}"
        );
    }
}

#[test]
fn secrets_ending_in_vectors() {
    let vectors = vectors();
    let list = vectors["secrets_ending_in"].as_array().unwrap();
    assert!(list.len() >= 5);
    for item in list {
        let bitnob = BitnobWebhook::with_secrets(secrets_of(item)).unwrap();
        let indexes: Vec<u64> = item["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap())
            .collect();
        let found: Vec<u64> = bitnob
            .secrets_ending_in(item["last4"].as_str().unwrap())
            .into_iter()
            .map(|i| i as u64)
            .collect();
        assert_eq!(found, indexes, "{item}");
    }
}

#[test]
fn the_vectors_cover_what_issue_15_asks() {
    let vectors = vectors();
    let names: Vec<&str> = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "bitnob legacy: SHA-512 of the body",
        "bitnob rotation: signed by the second secret",
        "now = timestamp +300 s",
        "now = timestamp -300 s",
        "now = timestamp +301 s",
        "now = timestamp -301 s",
        "no timestamp header",
        "unreadable timestamp",
        "window off",
        "re-serialized body",
        "malformed signature (63 hex digits)",
        "legacy switched off: a SHA-512 signature is malformed",
        "upper-case hex",
        "upper header names",
        "mixed header names",
        "from the header only",
        "from the body only",
        "disagrees with the signed body",
        "body: not JSON",
        "over max_body_bytes",
    ] {
        assert!(
            names.iter().any(|n| n.contains(wanted)),
            "no vector for {wanted:?}"
        );
    }
}

const SECRET: &str = "bn_whsk_SUPERSECRETVALUE_x9Qz";
const OTHER: &str = "bn_whsk_ANOTHERSECRET_k2Lm";

#[test]
fn debug_and_display_never_show_a_secret() {
    let bitnob = BitnobWebhook::with_secrets([SECRET, OTHER])
        .unwrap()
        .with_legacy_sha512(false);
    let debug = format!("{bitnob:?}");
    assert_eq!(
        debug,
        "BitnobWebhook { secrets: [REDACTED; 2], tolerance: Some(300s), legacy_sha512: false, max_body_bytes: 1048576 }"
    );
    let body = br#"{"event":"transfer.success"}"#;
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let good = sign_bitnob(SECRET, "1700000000", body);
    let legacy = sign_bitnob_legacy(SECRET, body);
    let attempts: [&[(&str, &str)]; 7] = [
        &[],
        &[(BITNOB_SIGNATURE_HEADER, SECRET)],
        &[(BITNOB_SIGNATURE_HEADER, &legacy)],
        &[(BITNOB_SIGNATURE_HEADER, &"0".repeat(64))],
        &[
            (BITNOB_SIGNATURE_HEADER, &good),
            (BITNOB_TIMESTAMP_HEADER, "1699990000"),
        ],
        &[
            (BITNOB_SIGNATURE_HEADER, &good),
            (BITNOB_TIMESTAMP_HEADER, "1700000000"),
            (BITNOB_EVENT_HEADER, SECRET),
        ],
        &[(BITNOB_SIGNATURE_HEADER, &sign_bitnob(SECRET, SECRET, body))],
    ];
    let mut codes = Vec::new();
    for headers in attempts {
        let error = bitnob
            .construct_event_at(body, headers.iter().copied(), now)
            .unwrap_err();
        let text = shown(&error);
        for secret in [SECRET, OTHER, "SUPERSECRET", "ANOTHERSECRET"] {
            assert!(!text.contains(secret), "{text}");
        }
        codes.push(error.code());
    }
    assert_eq!(
        codes,
        [
            "missing_signature",
            "malformed_signature",
            "malformed_signature",
            "signature_mismatch",
            "signature_mismatch",
            "invalid_payload",
            "signature_mismatch",
        ]
    );
    // The legacy refusal says why, without the value.
    let error = bitnob
        .verify_at(body, [(BITNOB_SIGNATURE_HEADER, legacy.as_str())], now)
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the SHA-512 scheme is switched off"),
        "{error}"
    );
    assert!(!error.to_string().contains(&legacy[..16]), "{error}");
}

#[test]
fn messages_name_no_header_or_payload_value() {
    let bitnob = BitnobWebhook::new(SECRET).unwrap();
    let body = br#"{"event":"payout.PRIVATEVALUE"}"#;
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let signature = sign_bitnob(SECRET, "1700000000", body);
    let error = bitnob
        .construct_event_at(
            body,
            [
                (BITNOB_SIGNATURE_HEADER, signature.as_str()),
                (BITNOB_TIMESTAMP_HEADER, "1700000000"),
                (BITNOB_EVENT_HEADER, "payout.HEADERVALUE"),
            ],
            now,
        )
        .unwrap_err();
    assert_eq!(error.code(), "invalid_payload");
    let text = error.to_string();
    assert!(text.contains("does not cover"), "{text}");
    assert!(
        !text.contains("PRIVATEVALUE") && !text.contains("HEADERVALUE"),
        "{text}"
    );
}

#[test]
fn a_huge_body_is_refused_before_any_hashing() {
    let body = vec![b'{'; 50 * 1024 * 1024];
    let bitnob = BitnobWebhook::new(SECRET).unwrap();
    let error = bitnob.verify(&body, []).unwrap_err();
    assert_eq!(
        error,
        Error::BodyTooLarge {
            limit: 1024 * 1024,
            actual: 50 * 1024 * 1024
        }
    );
}

#[test]
fn the_system_clock_path_accepts_a_fresh_delivery() {
    let bitnob = BitnobWebhook::new(SECRET).unwrap();
    let body = br#"{"event":"transfer.success"}"#;
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = sign_bitnob(SECRET, &now, body);
    let headers = [
        (BITNOB_SIGNATURE_HEADER, signature.as_str()),
        (BITNOB_TIMESTAMP_HEADER, now.as_str()),
    ];
    bitnob.verify(body, headers).unwrap();
    assert_eq!(
        bitnob.construct_event(body, headers).unwrap().event_type(),
        "transfer.success"
    );
    assert_eq!(
        bitnob.check_event(body, headers).unwrap().event_type,
        "transfer.success"
    );
}

fn any_header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9a-fA-F]{60,70}",
        "[0-9a-fA-F]{124,132}",
        "[0-9]{0,25}",
        " *[0-9a-f]{64} *",
    ]
}

fn any_header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(BITNOB_SIGNATURE_HEADER.to_owned()),
        Just(BITNOB_SIGNATURE_HEADER.to_ascii_lowercase()),
        Just(BITNOB_TIMESTAMP_HEADER.to_owned()),
        Just(BITNOB_EVENT_HEADER.to_ascii_uppercase()),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Whatever arrives, the answer is a contract code or an event; nothing panics.
    #[test]
    fn arbitrary_input_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        headers in proptest::collection::vec((any_header_name(), any_header_value()), 0..6),
        now in any::<u64>(),
        tolerance in proptest::option::of(any::<u64>()),
        legacy in any::<bool>(),
        max in 0usize..600,
    ) {
        let mut bitnob = BitnobWebhook::new(SECRET).unwrap()
            .with_legacy_sha512(legacy)
            .with_max_body_bytes(max)
            .without_tolerance();
        if let Some(seconds) = tolerance {
            bitnob = bitnob.with_tolerance(Duration::from_secs(seconds));
        }
        let now = UNIX_EPOCH.checked_add(Duration::from_secs(now)).unwrap_or(UNIX_EPOCH);
        let pairs = headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        for result in [
            bitnob.verify_at(&body, pairs.clone(), now).map(|()| String::new()),
            bitnob.construct_event_at(&body, pairs.clone(), now).map(|e| e.event_type().to_owned()),
            bitnob.check_event_at(&body, pairs, now).map(|c| c.event_type),
        ] {
            if let Err(error) = result {
                prop_assert!(ERROR_CODES.contains(&error.code()));
                prop_assert!(!error.to_string().contains(SECRET));
            }
        }
    }

    /// A delivery signed now verifies, by either scheme, and any change to the
    /// body or the timestamp is refused.
    #[test]
    fn signed_deliveries_verify_and_changes_are_refused(
        body in proptest::collection::vec(any::<u8>(), 0..1024),
        timestamp in 0u64..4_000_000_000,
        skew in -300i64..=300,
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let bitnob = BitnobWebhook::with_secrets([OTHER, SECRET]).unwrap();
        let ts = timestamp.to_string();
        let now = UNIX_EPOCH + Duration::from_secs(timestamp.saturating_add_signed(skew));
        let signature = sign_bitnob(SECRET, &ts, &body);
        let headers = [(BITNOB_SIGNATURE_HEADER, signature.as_str()), (BITNOB_TIMESTAMP_HEADER, ts.as_str())];
        prop_assert_eq!(bitnob.verify_at(&body, headers, now), Ok(()));
        let legacy = sign_bitnob_legacy(SECRET, &body);
        prop_assert_eq!(bitnob.verify_at(&body, [(BITNOB_SIGNATURE_HEADER, legacy.as_str())], now), Ok(()));
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = index.index(changed.len());
            changed[i] ^= flip;
            prop_assert_eq!(bitnob.verify_at(&changed, headers, now), Err(Error::SignatureMismatch));
            prop_assert_eq!(
                bitnob.verify_at(&changed, [(BITNOB_SIGNATURE_HEADER, legacy.as_str())], now),
                Err(Error::SignatureMismatch)
            );
        }
        let later = (timestamp + 1).to_string();
        let moved = [(BITNOB_SIGNATURE_HEADER, signature.as_str()), (BITNOB_TIMESTAMP_HEADER, later.as_str())];
        prop_assert_eq!(bitnob.verify_at(&body, moved, now), Err(Error::SignatureMismatch));
    }

    /// The window, against an independent reading: |now - timestamp| <= tolerance.
    #[test]
    fn the_window_is_the_distance_in_whole_seconds(
        timestamp in 0u64..4_000_000_000,
        offset in -5000i64..5000,
        tolerance in 0u64..3000,
    ) {
        let bitnob = BitnobWebhook::new(SECRET).unwrap().with_tolerance(Duration::from_secs(tolerance));
        let ts = timestamp.to_string();
        let signature = sign_bitnob(SECRET, &ts, b"{}");
        let headers = [(BITNOB_SIGNATURE_HEADER, signature.as_str()), (BITNOB_TIMESTAMP_HEADER, ts.as_str())];
        let now_secs = i128::from(timestamp) + i128::from(offset);
        prop_assume!(now_secs >= 0);
        let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(now_secs).unwrap());
        let fresh = offset.unsigned_abs() <= tolerance;
        let result = bitnob.verify_at(b"{}", headers, now);
        prop_assert_eq!(result.is_ok(), fresh, "{:?}", result);
        if !fresh {
            prop_assert_eq!(result, Err(Error::TimestampOutOfTolerance));
        }
    }

    #[test]
    fn secret_last4_is_a_suffix_of_at_most_four_characters(secret in any::<String>()) {
        let last4 = secret_last4(&secret);
        prop_assert!(secret.ends_with(&last4));
        prop_assert_eq!(last4.chars().count(), secret.chars().count().min(4));
    }
}
