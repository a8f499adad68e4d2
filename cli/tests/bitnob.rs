//! `--scheme bitnob` end to end through the built binary: `sign` against
//! signatures computed in advance with Python's `hmac`, `verify` against every
//! case of fixtures/bitnob-vectors.json, and `send` to a receiver on
//! 127.0.0.1 started by the test.

// Test helpers outside #[test] functions: a failure should panic loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use bullseye_webhooks::find_header;
use common::*;
use serde_json::Value;

const EXAMPLE: &str = "bitnob-virtualcard-debit.json";

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn sign_prints_both_headers_as_stored() {
    let body = payload(EXAMPLE);
    for (secret, signature) in [
        (CURRENT, BITNOB_SIGNED_CURRENT),
        (PREVIOUS, BITNOB_SIGNED_PREVIOUS),
    ] {
        let signed = run(
            cli().args([
                "sign",
                "--scheme",
                "bitnob",
                "--secret",
                secret,
                "--timestamp",
                BITNOB_TIMESTAMP,
                "-",
            ]),
            Some(&body),
        );
        assert_eq!(signed.code, 0, "{signed:?}");
        assert_eq!(
            signed.stdout,
            format!("X-Bitnob-Timestamp: {BITNOB_TIMESTAMP}\nX-Bitnob-Signature: {signature}\n")
        );
    }
    for (secret, signature) in [
        (CURRENT, BITNOB_LEGACY_CURRENT),
        (PREVIOUS, BITNOB_LEGACY_PREVIOUS),
    ] {
        let legacy = run(
            cli()
                .args(["sign", "--scheme", "bitnob", "--legacy", "--secret", secret])
                .arg(fixture("payloads").join(EXAMPLE)),
            None,
        );
        assert_eq!(legacy.code, 0, "{legacy:?}");
        assert_eq!(legacy.stdout, format!("X-Bitnob-Signature: {signature}\n"));
    }
}

#[test]
fn sign_without_a_timestamp_uses_the_clock_and_verifies() {
    let body = payload(EXAMPLE);
    let before = unix_now();
    let signed = run(
        cli()
            .args(["sign", "--scheme", "bitnob", "-"])
            .env("BITNOB_WEBHOOK_SECRET", CURRENT),
        Some(&body),
    );
    let after = unix_now();
    assert_eq!(signed.code, 0, "{signed:?}");
    let lines: Vec<&str> = signed.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{signed:?}");
    let timestamp: u64 = lines[0]
        .strip_prefix("X-Bitnob-Timestamp: ")
        .unwrap()
        .parse()
        .unwrap();
    assert!((before..=after).contains(&timestamp), "{timestamp}");
    let signature = lines[1].strip_prefix("X-Bitnob-Signature: ").unwrap();
    assert_eq!(signature.len(), 64);
    let verified = run(
        cli().args([
            "verify",
            "--scheme",
            "bitnob",
            "--secret",
            CURRENT,
            "--signature",
            signature,
            "--timestamp",
            &timestamp.to_string(),
            "--signature-only",
            "-",
        ]),
        Some(&body),
    );
    assert_eq!(verified.code, 0, "{verified:?}");
    assert_eq!(verified.stdout, "ok\n");
}

#[test]
fn verify_prints_the_generic_event() {
    let verified = run(
        cli()
            .args(["verify", "--scheme", "bitnob", "--secret", CURRENT])
            .args(["--secret", PREVIOUS, "--signature", BITNOB_SIGNED_PREVIOUS])
            .args(["--timestamp", BITNOB_TIMESTAMP, "--now", "1764590700"])
            .args(["--event", "virtualcard.transaction.debit", "-"]),
        Some(&payload(EXAMPLE)),
    );
    assert_eq!(verified.code, 0, "{verified:?}");
    let event: Value = serde_json::from_str(&verified.stdout).unwrap();
    assert_eq!(event["event_type"], "virtualcard.transaction.debit");
    assert_eq!(event["data"]["amount"], 2500);
    assert_eq!(event["data"]["merchant"], "ACME CLOUD SERVICES");
    // One second past the window.
    let late = run(
        cli()
            .args(["verify", "--scheme", "bitnob", "--secret", CURRENT])
            .args(["--signature", BITNOB_SIGNED_CURRENT])
            .args(["--timestamp", BITNOB_TIMESTAMP, "--now", "1764590701", "-"]),
        Some(&payload(EXAMPLE)),
    );
    assert_eq!(late.code, 1, "{late:?}");
    assert_eq!(late.stdout, "timestamp_out_of_tolerance\n");
    // Legacy refused on request, and the message says why.
    let legacy = run(
        cli()
            .args(["verify", "--scheme", "bitnob", "--secret", CURRENT])
            .args([
                "--signature",
                BITNOB_LEGACY_CURRENT,
                "--no-legacy-sha512",
                "-",
            ]),
        Some(&payload(EXAMPLE)),
    );
    assert_eq!(legacy.code, 1, "{legacy:?}");
    assert_eq!(legacy.stdout, "malformed_signature\n");
    assert!(
        legacy.stderr.contains("SHA-512 scheme is switched off"),
        "{legacy:?}"
    );
}

#[test]
fn bitnob_flags_are_refused_elsewhere() {
    let cases: &[&[&str]] = &[
        &["sign", "--secret", CURRENT, "--timestamp", "1", "-"],
        &["sign", "--secret", CURRENT, "--legacy", "-"],
        &[
            "sign",
            "--scheme",
            "bitnob",
            "--secret",
            CURRENT,
            "--legacy",
            "--timestamp",
            "1",
            "-",
        ],
        &[
            "verify",
            "--secret",
            CURRENT,
            "--signature",
            "ab",
            "--timestamp",
            "1",
            "-",
        ],
        &[
            "verify",
            "--scheme",
            "bitnob",
            "--secret",
            CURRENT,
            "--signature",
            "ab",
            "--visit",
            "-",
        ],
        &[
            "verify",
            "--scheme",
            "bitnob",
            "--secret",
            CURRENT,
            "--signature",
            "ab",
            "--tolerance",
            "5",
            "--no-tolerance",
            "-",
        ],
        &["sign", "--scheme", "stripe", "--secret", CURRENT, "-"],
        &["sign", "--scheme", "bitnob", "-"],
    ];
    for args in cases {
        let run = run(cli().args(*args), Some(b"{}"));
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.trim().is_empty(), "{args:?}: no message");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
    let no_secret = run(cli().args(["sign", "--scheme", "bitnob", "-"]), Some(b"{}"));
    assert!(
        no_secret.stderr.contains("BITNOB_WEBHOOK_SECRET"),
        "{no_secret:?}"
    );
}

#[test]
fn help_describes_the_bitnob_scheme() {
    let sign = run(cli().args(["sign", "--help"]), None);
    for text in ["--scheme", "--timestamp", "--legacy", "X-Bitnob-Timestamp"] {
        assert!(sign.stdout.contains(text), "sign --help lacks {text}");
    }
    let verify = run(cli().args(["verify", "--help"]), None);
    for text in [
        "--scheme",
        "--timestamp",
        "--event",
        "--no-tolerance",
        "--no-legacy-sha512",
        "--now",
        "BITNOB_WEBHOOK_SECRET",
    ] {
        assert!(verify.stdout.contains(text), "verify --help lacks {text}");
    }
    let send = run(cli().args(["send", "--help"]), None);
    for text in [
        "--scheme",
        "--age",
        "--event",
        "--legacy",
        "--example bitnob",
    ] {
        assert!(send.stdout.contains(text), "send --help lacks {text}");
    }
}

#[test]
fn example_bitnob_is_the_fixture_payload() {
    let printed = run(cli().args(["example", "bitnob"]), None);
    assert_eq!(printed.code, 0);
    assert_eq!(printed.stdout.as_bytes(), payload(EXAMPLE));
}

#[cfg(unix)]
fn os(text: &str) -> std::ffi::OsString {
    text.into()
}

/// Every Bitnob vector through `verify --scheme bitnob`: its headers as the
/// three flags (a repeated header joined with ", ", as the core reads it),
/// its options as flags, its clock as --now, its body on stdin.
#[cfg(unix)]
#[test]
fn verify_answers_every_bitnob_vector() {
    let text = std::fs::read_to_string(fixture("bitnob-vectors.json")).unwrap();
    let vectors: Value = serde_json::from_str(&text).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let body = case_body(case);
        let headers: Vec<(&str, &str)> = case["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
            .collect();
        for (operation, signature_only) in [("verify", true), ("construct_event", false)] {
            let mut command = cli();
            command.args(["verify", "--scheme", "bitnob"]);
            for secret in case["secrets"].as_array().unwrap() {
                command.arg("--secret").arg(os(secret.as_str().unwrap()));
            }
            // No signature header and an empty one are the same to the core.
            let signature = find_header(headers.iter().copied(), "X-Bitnob-Signature");
            command
                .arg("--signature")
                .arg(signature.as_deref().unwrap_or(""));
            for (flag, header) in [
                ("--timestamp", "X-Bitnob-Timestamp"),
                ("--event", "X-Bitnob-Event"),
            ] {
                if let Some(value) = find_header(headers.iter().copied(), header) {
                    command.arg(flag).arg(os(&value));
                }
            }
            let options = &case["options"];
            match options.get("tolerance_seconds") {
                None => {}
                Some(Value::Null) => {
                    command.arg("--no-tolerance");
                }
                Some(seconds) => {
                    command.arg("--tolerance").arg(seconds.to_string());
                }
            }
            if options["legacy_sha512"] == Value::Bool(false) {
                command.arg("--no-legacy-sha512");
            }
            if let Some(limit) = options["max_body_bytes"].as_u64() {
                command.arg("--max-body-bytes").arg(limit.to_string());
            }
            command.arg("--now").arg(case["now_unix"].to_string());
            if signature_only {
                command.arg("--signature-only");
            }
            let run = run(command.arg("-"), Some(&body));
            let expect = &case["expect"][operation];
            match expect["code"].as_str() {
                Some("invalid_secret") => {
                    assert_eq!(run.code, 2, "{name} ({operation}): {run:?}");
                }
                Some(code) => {
                    assert_eq!(run.code, 1, "{name} ({operation}): {run:?}");
                    assert_eq!(run.stdout, format!("{code}\n"), "{name} ({operation})");
                }
                None if signature_only => {
                    assert_eq!(run.code, 0, "{name} ({operation}): {run:?}");
                    assert_eq!(run.stdout, "ok\n", "{name}");
                }
                None => {
                    assert_eq!(run.code, 0, "{name} ({operation}): {run:?}");
                    let mut reader = serde_json::Deserializer::from_str(&run.stdout);
                    reader.disable_recursion_limit();
                    let printed = <Value as serde::Deserialize>::deserialize(&mut reader).unwrap();
                    assert_eq!(printed["event_type"], expect["event_type"], "{name}");
                }
            }
        }
    }
}

fn send_bitnob(receiver: &Receiver, extra: &[&str]) -> Run {
    run(
        cli()
            .args(["send", "--url"])
            .arg(format!("{}/bitnob", receiver.url))
            .args(["--example", "bitnob", "--json"])
            .args(extra)
            .env("BITNOB_WEBHOOK_SECRET", CURRENT),
        None,
    )
}

fn answer(run: &Run) -> (u64, Value) {
    assert_eq!(run.code, 0, "{run:?}");
    let line: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let body: Value = serde_json::from_str(line["body"].as_str().unwrap()).unwrap();
    (line["status"].as_u64().unwrap(), body)
}

#[test]
fn send_signs_the_timestamped_scheme_and_names_the_event() {
    let receiver = Receiver::start();
    let before = unix_now();
    let (status, body) = answer(&send_bitnob(&receiver, &[]));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["event_type"], "virtualcard.transaction.debit");
    let request = &receiver.requests()[0];
    assert_eq!(request.body, payload(EXAMPLE));
    let timestamp: u64 = request
        .header("X-Bitnob-Timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert!((before..=unix_now()).contains(&timestamp));
    assert_eq!(
        request.header("X-Bitnob-Event").as_deref(),
        Some("virtualcard.transaction.debit")
    );
    assert_eq!(request.header("X-Bitnob-Signature").unwrap().len(), 64);
    assert_eq!(request.header("X-Bullseye-Signature"), None);
}

#[test]
fn send_given_timestamp_is_the_stored_signature() {
    let receiver = Receiver::start();
    let (status, body) = answer(&send_bitnob(&receiver, &["--timestamp", BITNOB_TIMESTAMP]));
    // Signed a year before this test ran: stale.
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "timestamp_out_of_tolerance");
    let request = &receiver.requests()[0];
    assert_eq!(
        request.header("X-Bitnob-Signature").as_deref(),
        Some(BITNOB_SIGNED_CURRENT)
    );
    assert_eq!(
        request.header("X-Bitnob-Timestamp").as_deref(),
        Some(BITNOB_TIMESTAMP)
    );
}

#[test]
fn send_every_bitnob_row_gets_its_answer() {
    let receiver = Receiver::start();
    for (extra, status, answer_body) in [
        (
            &[][..],
            200,
            r#"{"event_type":"virtualcard.transaction.debit"}"#,
        ),
        (
            &["--legacy"],
            200,
            r#"{"event_type":"virtualcard.transaction.debit"}"#,
        ),
        (
            &["--age", "301"],
            401,
            r#"{"error":"timestamp_out_of_tolerance"}"#,
        ),
        (
            &["--age", "3600"],
            401,
            r#"{"error":"timestamp_out_of_tolerance"}"#,
        ),
        (&["--tamper"], 401, r#"{"error":"signature_mismatch"}"#),
        (
            &["--wrong-secret"],
            401,
            r#"{"error":"signature_mismatch"}"#,
        ),
        (&["--unsigned"], 400, r#"{"error":"missing_signature"}"#),
        (
            &["--signature", "abc"],
            400,
            r#"{"error":"malformed_signature"}"#,
        ),
        (
            &["--event", "wallet.created"],
            400,
            r#"{"error":"invalid_payload"}"#,
        ),
        (
            &["--timestamp", "yesterday"],
            401,
            r#"{"error":"timestamp_out_of_tolerance"}"#,
        ),
    ] {
        let (got, body) = answer(&send_bitnob(&receiver, extra));
        assert_eq!(got, status, "{extra:?}: {body}");
        assert_eq!(
            body,
            serde_json::from_str::<Value>(answer_body).unwrap(),
            "{extra:?}"
        );
    }
    let requests = receiver.requests();
    // --legacy sends no timestamp; every other row does.
    assert_eq!(requests[1].header("X-Bitnob-Timestamp"), None);
    assert_eq!(requests[1].header("X-Bitnob-Signature").unwrap().len(), 128);
    assert!(requests[2].header("X-Bitnob-Timestamp").is_some());
    // --unsigned still names the time and the event.
    assert_eq!(requests[6].header("X-Bitnob-Signature"), None);
    assert!(requests[6].header("X-Bitnob-Event").is_some());
}

#[test]
fn send_refuses_what_bitnob_does_not_have() {
    let receiver = Receiver::start();
    for extra in [
        &["--static-token"][..],
        &["--age", "5", "--legacy"],
        &["--timestamp", "1", "--age", "5"],
        &["--timestamp", "1\r\nX-Injected: 1"],
    ] {
        let run = send_bitnob(&receiver, extra);
        assert_eq!(run.code, 2, "{extra:?}: {run:?}");
    }
    let bullseye = run(
        cli()
            .args(["send", "--url"])
            .arg(format!("{}/bullseye", receiver.url))
            .args([
                "--example",
                "identification",
                "--secret",
                CURRENT,
                "--age",
                "5",
            ]),
        None,
    );
    assert_eq!(bullseye.code, 2, "{bullseye:?}");
    assert!(receiver.requests().is_empty());
}
