//! `sign`, `verify`, `example` and `--help`, end to end through the built
//! binary, against stored expected values (signatures computed in advance
//! with Python's `hmac`; fixtures/vectors.json: vectors.rs).

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

#[test]
fn help_on_every_command() {
    for command in [&[][..], &["sign"], &["verify"], &["send"], &["example"]] {
        let run = run(cli().args(command).arg("--help"), None);
        assert_eq!(run.code, 0, "{command:?}: {run:?}");
        assert!(
            run.stdout.contains("Usage: bullseye-webhooks"),
            "{command:?}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Exit codes:") && run.stdout.contains("BULLSEYE_WEBHOOK_SECRET"),
            "{command:?}: {}",
            run.stdout
        );
    }
    let send = run(cli().args(["send", "--help"]), None);
    for flag in [
        "--tamper",
        "--unsigned",
        "--wrong-secret",
        "--repeat",
        "--example",
        "--secret-env",
        "--ca-cert",
        "HTTPS_PROXY",
    ] {
        assert!(send.stdout.contains(flag), "send --help lacks {flag}");
    }
    let verify = run(cli().args(["verify", "--help"]), None);
    for flag in ["--tolerance", "--max-body-bytes", "--signature"] {
        assert!(verify.stdout.contains(flag), "verify --help lacks {flag}");
    }
}

#[test]
fn bad_arguments_exit_2() {
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate"],
        &["sign"],
        &["verify", "--secret", CURRENT, "-"],
        &[
            "verify",
            "--secret",
            CURRENT,
            "--signature",
            "ab",
            "--tolerance",
            "soon",
            "-",
        ],
        &["example", "billing"],
        &["sign", "--secret", CURRENT, "--secret", PREVIOUS, "-"],
        &["sign", "--secret", "", "-"],
        &["sign", "-"],
        &[
            "sign",
            "--secret-env",
            "BULLSEYE_CLI_TEST_UNSET_VARIABLE",
            "-",
        ],
    ];
    for args in cases {
        let run = run(cli().args(*args), Some(b"{}"));
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.trim().is_empty(), "{args:?}: no message");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
    let no_secret = run(cli().args(["sign", "-"]), Some(b"{}"));
    assert!(
        no_secret.stderr.contains("BULLSEYE_WEBHOOK_SECRET"),
        "{no_secret:?}"
    );
    let empty = run(cli().args(["sign", "--secret", "", "-"]), Some(b"{}"));
    assert!(empty.stderr.contains("invalid_secret"), "{empty:?}");
}

#[test]
fn a_secret_given_to_the_wrong_flag_is_not_echoed() {
    // `--secret-env` wants a variable's name; a secret given there is not repeated.
    let run = run(
        cli().args(["sign", "--secret-env", CURRENT, "-"]),
        Some(b"{}"),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not the secret itself"), "{run:?}");
    // A secret starting with `-` is still a value, not an unknown flag to report.
    let dash = "-whsec_starts_with_a_dash";
    let signed = common::run(cli().args(["sign", "--secret", dash, "-"]), Some(b""));
    assert_eq!(signed.code, 0, "{signed:?}");
    assert!(!signed.stderr.contains(dash));
}

#[test]
fn unreadable_input_exits_3() {
    let missing = fixture("payloads/no-such-file.json");
    let directory = fixture("payloads");
    for path in [&missing, &directory] {
        let sign = run(cli().args(["sign", "--secret", CURRENT]).arg(path), None);
        assert_eq!(sign.code, 3, "{sign:?}");
        assert!(sign.stderr.contains("cannot read"), "{sign:?}");
        let verify = run(
            cli()
                .args(["verify", "--secret", CURRENT, "--signature"])
                .arg(IDENTIFICATION_SIGNED_CURRENT)
                .arg(path),
            None,
        );
        assert_eq!(verify.code, 3, "{verify:?}");
    }
}

#[test]
fn sign_prints_the_stored_signatures() {
    let file = fixture("payloads/bullseye-partner-api-identification.json");
    let expected = format!("{IDENTIFICATION_SIGNED_CURRENT}\n");
    // A file, stdin, --secret-env and the default variable all agree.
    let by_flag = run(cli().args(["sign", "--secret", CURRENT]).arg(&file), None);
    let by_stdin = run(
        cli().args(["sign", "--secret", CURRENT, "-"]),
        Some(&payload("bullseye-partner-api-identification.json")),
    );
    let by_env = run(
        cli()
            .args(["sign", "--secret-env", "MY_BULLSEYE_SECRET"])
            .arg(&file)
            .env("MY_BULLSEYE_SECRET", CURRENT),
        None,
    );
    let by_default = run(
        cli()
            .arg("sign")
            .arg(&file)
            .env("BULLSEYE_WEBHOOK_SECRET", CURRENT),
        None,
    );
    for run in [by_flag, by_stdin, by_env, by_default] {
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, expected.as_str()),
            "{run:?}"
        );
    }
    let previous = run(cli().args(["sign", "--secret", PREVIOUS]).arg(&file), None);
    assert_eq!(
        previous.stdout,
        format!("{IDENTIFICATION_SIGNED_PREVIOUS}\n")
    );
    let visit = run(
        cli()
            .args(["sign", "--secret", CURRENT])
            .arg(fixture("payloads/fingerprinting-api-visit.json")),
        None,
    );
    assert_eq!(visit.stdout, format!("{VISIT_SIGNED_CURRENT}\n"));
    let empty = run(cli().args(["sign", "--secret", CURRENT, "-"]), Some(b""));
    assert_eq!(empty.stdout, format!("{EMPTY_SIGNED_CURRENT}\n"));
}

#[test]
fn verify_prints_the_typed_event() {
    let file = fixture("payloads/bullseye-partner-api-identification.json");
    let run = run(
        cli()
            .args(["verify", "--secret", CURRENT, "--signature"])
            .arg(IDENTIFICATION_SIGNED_CURRENT)
            .arg(&file),
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let event: Value = serde_json::from_str(&run.stdout).unwrap();
    // The payload's own fields, as the partner-API page prints them.
    assert_eq!(event["event_type"], "visitor.identified");
    assert_eq!(event["visitor"]["email"], "john@acme.com");
    assert_eq!(event["session_id"], "uuid");
    assert_eq!(event["company"]["size"], 150);
    assert_eq!(event["visitor"]["homeowner"], Value::Null);
}

/// The partner-API page's identification example, byte for byte, and the
/// same with `company.size` sent as a string; signatures computed in
/// advance with Python's `hmac` under CURRENT.
const DOCUMENTED_SIGNED_CURRENT: &str = IDENTIFICATION_SIGNED_CURRENT;
const DRIFTED_SIGNED_CURRENT: &str =
    "41d29fcd57db5fa046afee7caa25149cdf9769d35b4e46af2d6e323889940a59";

fn documented_and_drifted() -> (Vec<u8>, Vec<u8>) {
    let documented = payload("bullseye-partner-api-identification.json");
    let text = String::from_utf8(documented.clone()).unwrap();
    let drifted = text.replacen("\"size\": 150", "\"size\": \"150\"", 1);
    assert_ne!(drifted, text);
    (documented, drifted.into_bytes())
}

#[test]
fn verify_accepts_the_documented_example_without_mismatch() {
    let (documented, _) = documented_and_drifted();
    for strict in [false, true] {
        let mut command = cli();
        command.args([
            "verify",
            "--secret",
            CURRENT,
            "--signature",
            DOCUMENTED_SIGNED_CURRENT,
        ]);
        if strict {
            command.arg("--strict");
        }
        let run = run(command.arg("-"), Some(&documented));
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stderr, "", "no mismatch expected");
        let event: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(event["event_type"], "visitor.identified");
        assert_eq!(event["company"]["size"], 150);
        assert_eq!(event["visitor"]["persona_match"], true);
    }
}

#[test]
fn verify_accepts_a_drifted_field_and_reports_it_unless_strict() {
    let (_, drifted) = documented_and_drifted();
    let lenient = run(
        cli()
            .args([
                "verify",
                "--secret",
                CURRENT,
                "--signature",
                DRIFTED_SIGNED_CURRENT,
            ])
            .arg("-"),
        Some(&drifted),
    );
    assert_eq!(lenient.code, 0, "{lenient:?}");
    assert!(
        lenient
            .stderr
            .contains("`company.size` is documented as integer but was sent as string"),
        "{lenient:?}"
    );
    assert!(
        !lenient.stderr.contains("150"),
        "the value is not echoed: {lenient:?}"
    );
    let strict = run(
        cli()
            .args([
                "verify",
                "--strict",
                "--secret",
                CURRENT,
                "--signature",
                DRIFTED_SIGNED_CURRENT,
            ])
            .arg("-"),
        Some(&drifted),
    );
    assert_eq!(strict.code, 1, "{strict:?}");
    assert_eq!(strict.stdout, "invalid_payload\n");
    assert!(
        strict
            .stderr
            .contains("`company.size` must be an integer, but it is a string"),
        "{strict:?}"
    );
}

#[test]
fn verify_accepts_the_previous_secret_during_a_rotation() {
    let file = fixture("payloads/bullseye-partner-api-identification.json");
    let run = run(
        cli()
            .args([
                "verify",
                "--secret-env",
                "NEW",
                "--secret-env",
                "OLD",
                "--signature",
            ])
            .arg(IDENTIFICATION_SIGNED_PREVIOUS)
            .arg(&file)
            .env("NEW", CURRENT)
            .env("OLD", PREVIOUS),
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("\"event_type\": \"visitor.identified\"")
    );
    let without_old = common::run(
        cli()
            .args(["verify", "--secret-env", "NEW", "--signature"])
            .arg(IDENTIFICATION_SIGNED_PREVIOUS)
            .arg(&file)
            .env("NEW", CURRENT),
        None,
    );
    assert_eq!(
        (without_old.code, without_old.stdout.as_str()),
        (1, "signature_mismatch\n")
    );
}

#[test]
fn verify_refusals_print_the_code_and_exit_1() {
    let file = fixture("payloads/bullseye-partner-api-identification.json");
    let verify = |extra: &[&str], signature: &str| {
        run(
            cli()
                .args(["verify", "--secret", CURRENT])
                .args(extra)
                .args(["--signature", signature])
                .arg(&file),
            None,
        )
    };
    let cases: &[(&[&str], &str, &str)] = &[
        (&[], IDENTIFICATION_SIGNED_PREVIOUS, "signature_mismatch"),
        (&[], "", "missing_signature"),
        (&[], "abc", "malformed_signature"),
        (
            &["--max-body-bytes", "2494"],
            IDENTIFICATION_SIGNED_CURRENT,
            "body_too_large",
        ),
        // The example is signed for 2025-01-15T10:30:00Z: long past a 5-minute window.
        (
            &["--tolerance", "300"],
            IDENTIFICATION_SIGNED_CURRENT,
            "timestamp_out_of_tolerance",
        ),
    ];
    for (extra, signature, code) in cases {
        let run = verify(extra, signature);
        assert_eq!(run.code, 1, "{extra:?}: {run:?}");
        assert_eq!(run.stdout, format!("{code}\n"));
        assert!(run.stderr.contains(code), "{run:?}");
    }
    // Within limits, the same options pass: 2495 bytes, and a century's window.
    let within = verify(
        &["--max-body-bytes", "2495", "--tolerance", "3153600000"],
        IDENTIFICATION_SIGNED_CURRENT,
    );
    assert_eq!(within.code, 0, "{within:?}");
    // Upper-case hex with whitespace around it is the same signature.
    let padded = verify(
        &[],
        &format!(" {}\t", IDENTIFICATION_SIGNED_CURRENT.to_uppercase()),
    );
    assert_eq!(padded.code, 0, "{padded:?}");
}

#[test]
fn verify_visits_by_token_or_hmac() {
    let file = fixture("payloads/fingerprinting-api-visit.json");
    for signature in [CURRENT, VISIT_SIGNED_CURRENT] {
        let run = run(
            cli()
                .args([
                    "verify",
                    "--visit",
                    "--secret-env",
                    "TOKEN",
                    "--signature",
                    signature,
                ])
                .arg(&file)
                .env("TOKEN", CURRENT),
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        let visit: Value = serde_json::from_str(&run.stdout).unwrap();
        // The documented example names no type.
        assert_eq!(visit["event_type"], Value::Null);
        assert_eq!(visit["id"], "unique_visit_id");
        assert_eq!(visit["device"]["hardwareConcurrency"], 6);
    }
    let wrong = run(
        cli()
            .args([
                "verify",
                "--visit",
                "--secret",
                CURRENT,
                "--signature",
                "not-the-token",
            ])
            .arg(&file),
        None,
    );
    assert_eq!(
        (wrong.code, wrong.stdout.as_str()),
        (1, "signature_mismatch\n")
    );
}

#[test]
fn examples_are_the_fixture_payloads_and_verify() {
    for (kind, file, signature, extra) in [
        (
            "identification",
            "bullseye-partner-api-identification.json",
            IDENTIFICATION_SIGNED_CURRENT,
            None,
        ),
        (
            "visit",
            "fingerprinting-api-visit.json",
            VISIT_SIGNED_CURRENT,
            Some("--visit"),
        ),
    ] {
        let printed = run(cli().args(["example", kind]), None);
        assert_eq!(printed.code, 0);
        assert_eq!(printed.stdout.as_bytes(), payload(file), "{kind}");
        let mut verify = cli();
        verify.args(["verify", "--secret", CURRENT, "--signature", signature]);
        verify.args(extra);
        let verified = run(verify.arg("-"), Some(printed.stdout.as_bytes()));
        assert_eq!(verified.code, 0, "{kind}: {verified:?}");
    }
}
