//! Runs the cases of `fixtures/vectors.json` through the Rust API and reports
//! each outcome in the form every language's conformance dumper uses:
//! `{"error": code}`, or `{"typed": .., "object": ..}` where `typed` is the
//! typed view (payload key names, absent documented fields as null) and
//! `object` the whole payload object as the language exposes it (for an
//! event, the payload plus `event_type`; for a visit, the original).

// Indexing a serde_json `Value` never panics (a missing key reads as Null).
#![allow(clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::{Error, Event, Webhook, parse_visit};
use serde_json::{Value, json};

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every case of `fixtures/vectors.json`.
pub fn load_cases() -> Result<Vec<Value>, String> {
    let path = fixtures_dir().join("vectors.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vectors: Value = serde_json::from_str(&text).map_err(|e| format!("vectors.json: {e}"))?;
    vectors["cases"]
        .as_array()
        .cloned()
        .ok_or_else(|| "vectors.json has no cases".to_owned())
}

fn hex_bytes(hex: &str) -> Result<Vec<u8>, String> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("bad hex {hex:?}"))
        })
        .collect()
}

/// The case's body bytes.
pub fn body_of(case: &Value) -> Result<Vec<u8>, String> {
    if let Some(text) = case["body"].as_str() {
        Ok(text.as_bytes().to_vec())
    } else if let Some(hex) = case["body_hex"].as_str() {
        hex_bytes(hex)
    } else if let Some(file) = case["body_file"].as_str() {
        let path = fixtures_dir().join("payloads").join(file);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        let repeat = &case["body_repeat"];
        let text = repeat["text"].as_str().ok_or("body_repeat.text")?;
        let count = repeat["count"].as_u64().ok_or("body_repeat.count")?;
        Ok(text
            .repeat(usize::try_from(count).map_err(|e| e.to_string())?)
            .into_bytes())
    }
}

fn webhook_of(case: &Value) -> Result<Result<Webhook, Error>, String> {
    let secrets: Vec<Vec<u8>> = match case.get("secrets_hex") {
        Some(list) => list
            .as_array()
            .ok_or("secrets_hex")?
            .iter()
            .map(|s| hex_bytes(s.as_str().unwrap_or_default()))
            .collect::<Result<_, _>>()?,
        None => case["secrets"]
            .as_array()
            .ok_or("secrets")?
            .iter()
            .map(|s| s.as_str().unwrap_or_default().as_bytes().to_vec())
            .collect(),
    };
    let options = &case["options"];
    Ok(Webhook::with_secrets(secrets).map(|mut webhook| {
        if let Some(max) = options["max_body_bytes"].as_u64() {
            webhook = webhook.with_max_body_bytes(usize::try_from(max).unwrap_or(usize::MAX));
        }
        if let Some(seconds) = options["tolerance_seconds"].as_u64() {
            webhook = webhook.with_tolerance(Duration::from_secs(seconds));
        }
        webhook
    }))
}

/// Run one case: `{"error": code}` or `{"typed": .., "object": ..}`.
pub fn run(case: &Value) -> Result<Value, String> {
    let body = body_of(case)?;
    let signature = case["signature"].as_str().unwrap_or("");
    let operation = case["operation"].as_str().ok_or("operation")?;
    let outcome: Result<Value, Error> = match operation {
        "parse_visit" => parse_visit(&body).map(|v| json!({ "typed": v, "object": v.raw() })),
        _ => match webhook_of(case)? {
            Err(error) => Err(error),
            Ok(webhook) => match operation {
                "verify" => webhook
                    .verify(&body, signature)
                    .map(|()| json!({ "typed": {}, "object": {} })),
                "construct_visit" => webhook
                    .construct_visit(&body, signature)
                    .map(|v| json!({ "typed": v, "object": v.raw() })),
                "construct_event" => {
                    let (event, checked) = match case["options"]["now_unix"].as_u64() {
                        Some(now) => {
                            let now = UNIX_EPOCH + Duration::from_secs(now);
                            (
                                webhook.construct_event_at(&body, signature, now),
                                webhook.check_event_at(&body, signature, now),
                            )
                        }
                        None => (
                            webhook.construct_event(&body, signature),
                            webhook.check_event(&body, signature),
                        ),
                    };
                    // check_event must give construct_event's answer exactly.
                    let same = match (&event, &checked) {
                        (Ok(event), Ok(event_type)) => event.event_type() == event_type,
                        (Err(a), Err(b)) => a == b,
                        _ => false,
                    };
                    if !same {
                        return Err(format!(
                            "{}: check_event gave {checked:?}, construct_event {:?}",
                            case["name"],
                            event.as_ref().map(|e| e.event_type())
                        ));
                    }
                    event.map(|event| {
                        let typed = match &event {
                            Event::VisitorIdentified(e) => json!(e),
                            other => json!({ "event_type": other.event_type() }),
                        };
                        json!({ "typed": typed, "object": event })
                    })
                }
                other => return Err(format!("unknown operation {other}")),
            },
        },
    };
    Ok(outcome.unwrap_or_else(|e| json!({ "error": e.code() })))
}
