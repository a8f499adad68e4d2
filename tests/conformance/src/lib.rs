//! Runs the cases of `fixtures/vectors.json` through the Rust API and reports
//! each outcome in the form every language's conformance dumper uses:
//! `{"error": code}`, or `{"typed": .., "object": .., "mismatches": [..]}`
//! where `typed` is the typed view (payload key names, absent documented
//! fields as null, a drifted field converted or null), `object` the whole
//! payload object as sent (for an event, the payload plus `event_type`; for
//! a visit, the original), and `mismatches` the documented fields of another
//! type, in document order, as `{path, expected, found, value}`.
//!
//! The cases of `fixtures/bitnob-vectors.json` run through a
//! `BitnobWebhook` and give two outcomes each, `NAME [verify]` and
//! `NAME [construct_event]`, in the same form: `verify`'s success is
//! `{"typed": {}, "object": {}, "mismatches": []}`; `construct_event`'s has
//! `typed` = `{event_type, delivery_key}` and `object` = the event as it
//! serializes (the payload with `event_type`).

// Indexing a serde_json `Value` never panics (a missing key reads as Null).
#![allow(clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::{
    BitnobWebhook, CheckedEvent, CheckedVisit, Error, Event, Mismatch, Visit, Webhook, check_visit,
    parse_visit, parse_visit_strict,
};
use serde_json::{Value, json};

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every case of `fixtures/vectors.json`.
pub fn load_cases() -> Result<Vec<Value>, String> {
    load("vectors.json")
}

/// Every case of `fixtures/bitnob-vectors.json`.
pub fn load_bitnob_cases() -> Result<Vec<Value>, String> {
    load("bitnob-vectors.json")
}

fn load(file: &str) -> Result<Vec<Value>, String> {
    let path = fixtures_dir().join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vectors: Value = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    vectors["cases"]
        .as_array()
        .cloned()
        .ok_or_else(|| format!("{file} has no cases"))
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
        if let Some(strict) = options["strict"].as_bool() {
            webhook = webhook.with_strict(strict);
        }
        webhook
    }))
}

/// The case's `options.strict` (absent: the default, lenient).
fn strict_of(case: &Value) -> bool {
    case["options"]["strict"].as_bool().unwrap_or(false)
}

/// A mismatch list as every dumper reports it.
pub fn mismatch_list(mismatches: &[Mismatch]) -> Value {
    Value::Array(
        mismatches
            .iter()
            .map(|m| {
                json!({
                    "path": m.path(),
                    "expected": m.expected().as_str(),
                    "found": m.found().as_str(),
                    "value": m.value(),
                })
            })
            .collect(),
    )
}

/// The typed view, without any key for the mismatches (they are reported
/// on their own, as every language reports them).
fn typed_view(typed: Value) -> Value {
    match typed {
        Value::Object(mut map) => {
            map.remove("mismatches");
            Value::Object(map)
        }
        other => other,
    }
}

fn visit_outcome(visit: &Visit) -> Value {
    json!({
        "typed": typed_view(json!(visit)),
        "object": visit.raw(),
        "mismatches": mismatch_list(visit.mismatches()),
    })
}

/// What a reader answered: the type and the mismatches.
type Answer<'a> = (Option<&'a str>, &'a [Mismatch]);

fn event_answer(e: &Event) -> Answer<'_> {
    (Some(e.event_type()), e.mismatches())
}

fn checked_event_answer(c: &CheckedEvent) -> Answer<'_> {
    (Some(c.event_type.as_str()), c.mismatches.as_slice())
}

fn visit_answer(v: &Visit) -> Answer<'_> {
    (v.event_type.as_deref(), v.mismatches())
}

fn checked_visit_answer(v: &CheckedVisit) -> Answer<'_> {
    (v.event_type.as_deref(), v.mismatches.as_slice())
}

/// A check (`check_event`, `check_visit`) must give the full reader's
/// answer exactly: the same type and mismatches, or the same error.
fn same_answer<T, C>(
    name: &Value,
    full: &Result<T, Error>,
    checked: &Result<C, Error>,
    answer: fn(&T) -> Answer<'_>,
    checked_answer: fn(&C) -> Answer<'_>,
) -> Result<(), String> {
    let same = match (full, checked) {
        (Ok(full), Ok(checked)) => answer(full) == checked_answer(checked),
        (Err(a), Err(b)) => a == b,
        _ => false,
    };
    if same {
        return Ok(());
    }
    fn show<R>(result: &Result<R, Error>, answer: fn(&R) -> Answer<'_>) -> String {
        match result {
            Ok(r) => {
                let (t, m) = answer(r);
                format!("{t:?} with {}", mismatch_list(m))
            }
            Err(e) => format!("{e:?}"),
        }
    }
    Err(format!(
        "{name}: the check gave {}, the full reader {}",
        show(checked, checked_answer),
        show(full, answer),
    ))
}

/// Run one case: `{"error": code}` or `{"typed": .., "object": .., "mismatches": [..]}`.
pub fn run(case: &Value) -> Result<Value, String> {
    let body = body_of(case)?;
    let signature = case["signature"].as_str().unwrap_or("");
    let operation = case["operation"].as_str().ok_or("operation")?;
    let name = &case["name"];
    let outcome: Result<Value, Error> = match operation {
        "parse_visit" => {
            let strict = strict_of(case);
            let visit = if strict {
                parse_visit_strict(&body)
            } else {
                parse_visit(&body)
            };
            same_answer(
                name,
                &visit,
                &check_visit(&body, strict),
                visit_answer,
                checked_visit_answer,
            )?;
            visit.map(|v| visit_outcome(&v))
        }
        _ => match webhook_of(case)? {
            Err(error) => Err(error),
            Ok(webhook) => match operation {
                "verify" => webhook
                    .verify(&body, signature)
                    .map(|()| json!({ "typed": {}, "object": {}, "mismatches": [] })),
                "construct_visit" => {
                    let visit = webhook.construct_visit(&body, signature);
                    same_answer(
                        name,
                        &visit,
                        &webhook.check_visit(&body, signature),
                        visit_answer,
                        checked_visit_answer,
                    )?;
                    visit.map(|v| visit_outcome(&v))
                }
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
                    same_answer(name, &event, &checked, event_answer, checked_event_answer)?;
                    event.map(|event| {
                        let typed = match &event {
                            Event::VisitorIdentified(e) => typed_view(json!(e)),
                            other => json!({ "event_type": other.event_type() }),
                        };
                        json!({
                            "typed": typed,
                            "object": event,
                            "mismatches": mismatch_list(event.mismatches()),
                        })
                    })
                }
                other => return Err(format!("unknown operation {other}")),
            },
        },
    };
    Ok(outcome.unwrap_or_else(|e| json!({ "error": e.code() })))
}

/// The two operations every Bitnob case runs, in the order of their outcomes.
pub const BITNOB_OPERATIONS: [&str; 2] = ["verify", "construct_event"];

/// The dump key of a Bitnob case's outcome: `NAME [verify]`,
/// `NAME [construct_event]`.
pub fn bitnob_key(case: &Value, operation: &str) -> String {
    format!(
        "{} [{operation}]",
        case["name"].as_str().unwrap_or_default()
    )
}

fn bitnob_of(case: &Value) -> Result<Result<BitnobWebhook, Error>, String> {
    let secrets: Vec<&str> = case["secrets"]
        .as_array()
        .ok_or("secrets")?
        .iter()
        .map(|s| s.as_str().unwrap_or_default())
        .collect();
    let options = &case["options"];
    Ok(BitnobWebhook::with_secrets(secrets).map(|mut bitnob| {
        match options.get("tolerance_seconds") {
            None => {}
            Some(Value::Null) => bitnob = bitnob.without_tolerance(),
            Some(seconds) => {
                bitnob = bitnob.with_tolerance(Duration::from_secs(seconds.as_u64().unwrap_or(0)));
            }
        }
        if let Some(legacy) = options["legacy_sha512"].as_bool() {
            bitnob = bitnob.with_legacy_sha512(legacy);
        }
        if let Some(max) = options["max_body_bytes"].as_u64() {
            bitnob = bitnob.with_max_body_bytes(usize::try_from(max).unwrap_or(usize::MAX));
        }
        bitnob
    }))
}

/// Run one Bitnob case: its outcomes for [`BITNOB_OPERATIONS`], in order,
/// each `{"error": code}` or `{"typed": .., "object": .., "mismatches": []}`.
pub fn run_bitnob(case: &Value) -> Result<[Value; 2], String> {
    let body = body_of(case)?;
    let headers: Vec<(&str, &str)> = case["headers"]
        .as_array()
        .ok_or("headers")?
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap_or_default(),
                pair[1].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let now = UNIX_EPOCH + Duration::from_secs(case["now_unix"].as_u64().ok_or("now_unix")?);
    let bitnob = match bitnob_of(case)? {
        Ok(bitnob) => bitnob,
        Err(error) => {
            return Ok([
                json!({ "error": error.code() }),
                json!({ "error": error.code() }),
            ]);
        }
    };
    let verified = bitnob
        .verify_at(&body, headers.iter().copied(), now)
        .map(|()| json!({ "typed": {}, "object": {}, "mismatches": [] }));
    let event = bitnob.construct_event_at(&body, headers.iter().copied(), now);
    let checked = bitnob.check_event_at(&body, headers.iter().copied(), now);
    // check_event must give construct_event's answer exactly.
    same_answer(
        &case["name"],
        &event,
        &checked,
        event_answer,
        checked_event_answer,
    )?;
    let constructed = event.map(|event| {
        json!({
            "typed": { "event_type": event.event_type(), "delivery_key": event.delivery_key() },
            "object": event,
            "mismatches": mismatch_list(event.mismatches()),
        })
    });
    let outcome =
        |result: Result<Value, Error>| result.unwrap_or_else(|e| json!({ "error": e.code() }));
    Ok([outcome(verified), outcome(constructed)])
}
