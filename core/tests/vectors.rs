//! Runs every case of `fixtures/vectors.json` through the Rust API. A failure
//! names the case and its source; all failures are listed before the test fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::{Error, Event, Webhook, parse_visit};
use serde_json::{Value, json};

fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("fixture hex"))
        .collect()
}

fn body_of(case: &Value) -> Vec<u8> {
    if let Some(text) = case["body"].as_str() {
        text.as_bytes().to_vec()
    } else if let Some(hex) = case["body_hex"].as_str() {
        hex_bytes(hex)
    } else if let Some(file) = case["body_file"].as_str() {
        std::fs::read(fixtures_dir().join("payloads").join(file)).expect("fixture payload")
    } else {
        let repeat = &case["body_repeat"];
        let text = repeat["text"].as_str().expect("body_repeat.text");
        text.repeat(repeat["count"].as_u64().expect("body_repeat.count") as usize)
            .into_bytes()
    }
}

fn webhook_of(case: &Value) -> Result<Webhook, Error> {
    let secrets: Vec<Vec<u8>> = match case.get("secrets_hex") {
        Some(list) => list
            .as_array()
            .expect("secrets_hex")
            .iter()
            .map(|s| hex_bytes(s.as_str().expect("hex secret")))
            .collect(),
        None => case["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .map(|s| s.as_str().expect("secret").as_bytes().to_vec())
            .collect(),
    };
    let mut webhook = Webhook::with_secrets(secrets)?;
    let options = &case["options"];
    if let Some(max) = options["max_body_bytes"].as_u64() {
        webhook = webhook.with_max_body_bytes(max as usize);
    }
    if let Some(seconds) = options["tolerance_seconds"].as_u64() {
        webhook = webhook.with_tolerance(Duration::from_secs(seconds));
    }
    Ok(webhook)
}

/// What one case produced: an error code, or the typed and raw views.
enum Outcome {
    Error(&'static str),
    Ok { typed: Value, raw: Value },
}

fn run(case: &Value) -> Outcome {
    let body = body_of(case);
    let signature = case["signature"].as_str().unwrap_or("");
    let result = (|| -> Result<(Value, Value), Error> {
        match case["operation"].as_str().expect("operation") {
            "parse_visit" => {
                let visit = parse_visit(&body)?;
                Ok((json!(visit), Value::Object(visit.raw().clone())))
            }
            operation => {
                let webhook = webhook_of(case)?;
                match operation {
                    "verify" => webhook
                        .verify(&body, signature)
                        .map(|()| (json!({}), json!({}))),
                    "construct_visit" => {
                        let visit = webhook.construct_visit(&body, signature)?;
                        Ok((json!(visit), Value::Object(visit.raw().clone())))
                    }
                    "construct_event" => {
                        let event = match case["options"]["now_unix"].as_u64() {
                            Some(now) => webhook.construct_event_at(
                                &body,
                                signature,
                                UNIX_EPOCH + Duration::from_secs(now),
                            )?,
                            None => webhook.construct_event(&body, signature)?,
                        };
                        let typed = match &event {
                            Event::VisitorIdentified(e) => json!(e),
                            other => json!({ "event_type": other.event_type() }),
                        };
                        Ok((typed, Value::Object(event.raw().clone())))
                    }
                    other => panic!("unknown operation {other}"),
                }
            }
        }
    })();
    match result {
        Ok((typed, raw)) => Outcome::Ok { typed, raw },
        Err(e) => Outcome::Error(e.code()),
    }
}

/// Resolve `a.b[2].c` or `list.length` in `root`.
fn resolve(root: &Value, path: &str) -> Option<Value> {
    let mut current = root.clone();
    for part in path.split('.') {
        if part == "length" {
            return current.as_array().map(|a| json!(a.len()));
        }
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        current = current.get(key)?.clone();
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let i: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(i)?.clone();
        }
    }
    Some(current)
}

#[test]
fn every_vector() {
    let text = std::fs::read_to_string(fixtures_dir().join("vectors.json")).expect("vectors.json");
    let vectors: Value = serde_json::from_str(&text).expect("vectors.json is JSON");
    let cases = vectors["cases"].as_array().expect("cases");
    assert!(
        cases.len() > 250,
        "vectors.json lost cases: {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in cases {
        let name = format!("{} [{}]", case["name"], case["source"]);
        let expect = &case["expect"];
        match (run(case), expect["error"].as_str()) {
            (Outcome::Error(code), Some(expected)) if code == expected => {}
            (Outcome::Error(code), expected) => {
                failures.push(format!("{name}: got error {code}, expected {expected:?}"))
            }
            (Outcome::Ok { .. }, Some(expected)) => {
                failures.push(format!("{name}: accepted, expected error {expected}"))
            }
            (Outcome::Ok { typed, raw }, None) => {
                let fields = expect["fields"].as_object().cloned().unwrap_or_default();
                for (path, want) in fields {
                    let got = match path.strip_prefix("raw.") {
                        Some(rest) => resolve(&raw, rest),
                        None => resolve(&typed, &path),
                    };
                    if got.as_ref() != Some(&want) {
                        failures.push(format!("{name}: {path} = {got:?}, expected {want}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{} vectors passed", cases.len());
}
