//! `verify` and `sign` through the built binary against every shared
//! vector the CLI can express (fixtures/vectors.json).

// Test helpers outside #[test] functions: a failure should panic loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::Value;

/// The Bullseye vectors the CLI can express: a body, a signature, secrets
/// and a signature that fit a command line (no NUL byte), and no injected
/// clock.
struct Vector {
    name: String,
    operation: String,
    secrets: Vec<Vec<u8>>,
    body: Vec<u8>,
    signature: Option<String>,
    max_body_bytes: Option<u64>,
    strict: bool,
    expect: Value,
}

fn vectors() -> (Vec<Vector>, usize) {
    let text = std::fs::read_to_string(fixture("vectors.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let mut usable = Vec::new();
    let mut skipped = 0;
    for case in json["cases"].as_array().unwrap() {
        let operation = case["operation"].as_str().unwrap().to_owned();
        let options = &case["options"];
        let secrets: Vec<Vec<u8>> = match (&case["secrets"], &case["secrets_hex"]) {
            (Value::Array(s), _) => s.iter().map(|s| s.as_str().unwrap().into()).collect(),
            (_, Value::Array(s)) => s.iter().map(|s| hex_bytes(s.as_str().unwrap())).collect(),
            _ => Vec::new(),
        };
        if operation == "parse_visit"
            || !options["now_unix"].is_null()
            || secrets.iter().any(|s| s.contains(&0))
            || case["signature"].as_str().is_some_and(|s| s.contains('\0'))
        {
            skipped += 1;
            continue;
        }
        let body = case_body(case);
        usable.push(Vector {
            name: case["name"].as_str().unwrap().to_owned(),
            operation,
            secrets,
            body,
            signature: case["signature"].as_str().map(str::to_owned),
            max_body_bytes: options["max_body_bytes"].as_u64(),
            strict: options["strict"].as_bool().unwrap_or(false),
            expect: case["expect"].clone(),
        });
    }
    (usable, skipped)
}

#[cfg(unix)]
fn os(bytes: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_owned()
}

#[cfg(unix)]
#[test]
fn verify_answers_every_shared_vector() {
    let (vectors, skipped) = vectors();
    println!(
        "{} vectors run, {skipped} not expressible on a command line",
        vectors.len()
    );
    assert!(vectors.len() >= 150, "only {} vectors", vectors.len());
    for v in &vectors {
        let mut command = cli();
        command.arg("verify");
        for secret in &v.secrets {
            command.arg("--secret").arg(os(secret));
        }
        // No header and an empty one are the same to the core: missing_signature.
        command
            .arg("--signature")
            .arg(v.signature.as_deref().unwrap_or(""));
        if let Some(limit) = v.max_body_bytes {
            command.arg("--max-body-bytes").arg(limit.to_string());
        }
        match v.operation.as_str() {
            "verify" => command.arg("--signature-only"),
            "construct_visit" => command.arg("--visit"),
            _ => &mut command,
        };
        if v.strict && v.operation != "verify" {
            command.arg("--strict");
        }
        let run = run(command.arg("-"), Some(&v.body));
        match v.expect["error"].as_str() {
            Some("invalid_secret") => {
                assert_eq!(run.code, 2, "{}: {run:?}", v.name);
                assert!(
                    run.stderr.contains("invalid_secret") || run.stderr.contains("no secret"),
                    "{}: {run:?}",
                    v.name
                );
            }
            Some(code) => {
                assert_eq!(run.code, 1, "{}: {run:?}", v.name);
                assert_eq!(run.stdout, format!("{code}\n"), "{}", v.name);
                assert!(run.stderr.contains(code), "{}: {run:?}", v.name);
            }
            None => {
                assert_eq!(run.code, 0, "{}: {run:?}", v.name);
                if v.operation == "verify" {
                    assert_eq!(run.stdout, "ok\n", "{}", v.name);
                } else {
                    assert!(run.stdout.starts_with('{'), "{}: {run:?}", v.name);
                    // One stderr line for each mismatch the vector expects.
                    let expected = v.expect["mismatches"].as_array().map_or(0, Vec::len);
                    assert_eq!(
                        run.stderr.matches("mismatch: `").count(),
                        expected,
                        "{}: {run:?}",
                        v.name
                    );
                    if let Some(event_type) = v.expect["fields"].get("event_type") {
                        // Some vectors nest 128 deep, past serde_json's default limit.
                        let mut reader = serde_json::Deserializer::from_str(&run.stdout);
                        reader.disable_recursion_limit();
                        let printed =
                            <Value as serde::Deserialize>::deserialize(&mut reader).unwrap();
                        assert_eq!(&printed["event_type"], event_type, "{}", v.name);
                    }
                }
            }
        }
    }
}

#[test]
fn sign_reproduces_every_valid_single_secret_vector() {
    let (vectors, _) = vectors();
    let mut checked = 0;
    for v in vectors
        .iter()
        .filter(|v| v.operation == "verify" && v.expect["ok"] == true && v.secrets.len() == 1)
    {
        let Ok(secret) = std::str::from_utf8(&v.secrets[0]) else {
            continue;
        };
        let Some(signature) = &v.signature else {
            continue;
        };
        let run = run(cli().args(["sign", "--secret", secret, "-"]), Some(&v.body));
        assert_eq!(run.code, 0, "{}: {run:?}", v.name);
        let stored = signature.trim().to_lowercase();
        assert_eq!(run.stdout.trim(), stored, "{}", v.name);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} vectors checked");
}
