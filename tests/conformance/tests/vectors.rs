//! Runs every case of `fixtures/vectors.json` through the Rust API and checks
//! it against the stored expectation: the error code, or the typed fields and
//! the exact mismatch list (path, expected, found, value, in order). A failure
//! names the case and its source; all failures are listed before the test
//! fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bullseye_webhooks_conformance::{load_cases, run};
use serde_json::{Value, json};

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
    let cases = load_cases().unwrap();
    assert!(
        cases.len() > 1500,
        "vectors.json lost cases: {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = format!("{} [{}]", case["name"], case["source"]);
        let expect = &case["expect"];
        let outcome = run(case).unwrap();
        match (outcome["error"].as_str(), expect["error"].as_str()) {
            (Some(code), Some(expected)) if code == expected => {}
            (Some(code), expected) => {
                failures.push(format!("{name}: got error {code}, expected {expected:?}"));
            }
            (None, Some(expected)) => {
                failures.push(format!("{name}: accepted, expected error {expected}"));
            }
            (None, None) => {
                let fields = expect["fields"].as_object().cloned().unwrap_or_default();
                for (path, want) in fields {
                    let got = match path.strip_prefix("raw.") {
                        Some(rest) => resolve(&outcome["object"], rest),
                        None => resolve(&outcome["typed"], &path),
                    };
                    if got.as_ref() != Some(&want) {
                        failures.push(format!("{name}: {path} = {got:?}, expected {want}"));
                    }
                }
                let typed = ["construct_event", "parse_visit", "construct_visit"]
                    .contains(&case["operation"].as_str().unwrap_or_default());
                let want = &expect["mismatches"];
                if typed && !want.is_array() {
                    failures.push(format!("{name}: the case lists no mismatches"));
                } else if typed && outcome["mismatches"] != *want {
                    failures.push(format!(
                        "{name}: mismatches\n    got      {}\n    expected {want}",
                        outcome["mismatches"]
                    ));
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

/// The Rust column of the Bitnob vectors is right: each outcome is the
/// stored answer (`{ok, event_type}` or `{ok: false, code}`), and a Bitnob
/// event keeps the body as sent and is keyed by its hash.
#[test]
fn every_bitnob_outcome() {
    use bullseye_webhooks_conformance::{BITNOB_OPERATIONS, load_bitnob_cases, run_bitnob};
    let cases = load_bitnob_cases().unwrap();
    assert!(cases.len() >= 100, "bitnob-vectors.json lost cases");
    let mut failures = Vec::new();
    for case in &cases {
        let outcomes = run_bitnob(case).unwrap();
        for (operation, outcome) in BITNOB_OPERATIONS.iter().zip(outcomes) {
            let expect = &case["expect"][operation];
            let got = match outcome["error"].as_str() {
                Some(code) => json!({"ok": false, "code": code}),
                None if *operation == "verify" => json!({"ok": true}),
                None => json!({"ok": true, "event_type": outcome["typed"]["event_type"]}),
            };
            if got != *expect {
                failures.push(format!(
                    "{} [{operation}]: {got}, expected {expect}",
                    case["name"]
                ));
            }
            if *operation == "construct_event" && outcome["error"].is_null() {
                let key = outcome["typed"]["delivery_key"]
                    .as_str()
                    .unwrap_or_default();
                if !key.starts_with("sha256:") || key.len() != 7 + 64 {
                    failures.push(format!("{}: delivery key {key:?}", case["name"]));
                }
                if outcome["object"]["event_type"] != expect["event_type"] {
                    failures.push(format!("{}: object {}", case["name"], outcome["object"]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
