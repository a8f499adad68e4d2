//! `send`, end to end: the built binary posts to a receiver on 127.0.0.1
//! started by the test, which records each request and answers as a user's
//! receiver would.

// Test helpers outside #[test] functions: a failure should panic loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::*;
use serde_json::Value;

fn send(receiver: &Receiver, path: &str) -> std::process::Command {
    let mut command = cli();
    command
        .args(["send", "--url"])
        .arg(format!("{}{path}", receiver.url));
    command
}

/// `send` of the identification example to `/bullseye`, signed with
/// [`CURRENT`], with `extra` arguments.
fn identification(receiver: &Receiver, extra: &[&str]) -> Run {
    run(
        send(receiver, "/bullseye")
            .args(["--secret", CURRENT, "--example", "identification"])
            .args(extra),
        None,
    )
}

#[test]
fn signed_delivery_is_accepted_and_reported() {
    let receiver = Receiver::start();
    let run = run(
        send(&receiver, "/bullseye")
            .args(["--example", "identification"])
            .env("BULLSEYE_WEBHOOK_SECRET", CURRENT),
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("200 OK in "), "{}", run.stdout);
    assert!(run.stdout.contains(" ms"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(r#"{"event_type":"visitor.identified"}"#),
        "{}",
        run.stdout
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/bullseye");
    assert_eq!(
        request.body,
        payload("bullseye-partner-api-identification.json")
    );
    assert_eq!(
        request.header("X-Bullseye-Signature").as_deref(),
        Some(IDENTIFICATION_SIGNED_CURRENT)
    );
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/json")
    );
}

#[test]
fn a_file_or_stdin_with_a_named_secret_variable() {
    let receiver = Receiver::start();
    let file = fixture("payloads/bullseye-partner-api-identification.json");
    let from_file = run(
        send(&receiver, "/bullseye")
            .args(["--secret-env", "OLD"])
            .arg(&file)
            .env("OLD", PREVIOUS),
        None,
    );
    assert_eq!(from_file.code, 0, "{from_file:?}");
    let from_stdin = run(
        send(&receiver, "/bullseye").args(["--secret", CURRENT, "-"]),
        Some(&payload("bullseye-partner-api-identification.json")),
    );
    assert_eq!(from_stdin.code, 0, "{from_stdin:?}");
    let signatures: Vec<_> = receiver
        .requests()
        .iter()
        .map(|r| r.header("x-bullseye-signature").unwrap())
        .collect();
    assert_eq!(
        signatures,
        [
            IDENTIFICATION_SIGNED_PREVIOUS,
            IDENTIFICATION_SIGNED_CURRENT
        ]
    );
}

#[test]
fn tampered_unsigned_and_wrong_secret_deliveries_are_refused() {
    let receiver = Receiver::start();
    let original = payload("bullseye-partner-api-identification.json");
    let send_with = |flag: &str| identification(&receiver, &[flag]);
    let tampered = send_with("--tamper");
    let unsigned = send_with("--unsigned");
    let wrong = send_with("--wrong-secret");
    // The receiver's refusal is a report, not a failure of the CLI.
    assert_eq!(tampered.code, 0, "{tampered:?}");
    assert!(tampered.stdout.contains("401 Unauthorized"), "{tampered:?}");
    assert!(
        tampered.stdout.contains("signature_mismatch"),
        "{tampered:?}"
    );
    assert!(unsigned.stdout.contains("400 Bad Request"), "{unsigned:?}");
    assert!(
        unsigned.stdout.contains("missing_signature"),
        "{unsigned:?}"
    );
    assert!(wrong.stdout.contains("401 Unauthorized"), "{wrong:?}");
    assert!(wrong.stdout.contains("signature_mismatch"), "{wrong:?}");

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    // --tamper: the body's true signature, on a body one byte different.
    let tampered = &requests[0];
    assert_eq!(
        tampered.header("x-bullseye-signature").as_deref(),
        Some(IDENTIFICATION_SIGNED_CURRENT)
    );
    assert_eq!(tampered.body.len(), original.len());
    let differing = tampered
        .body
        .iter()
        .zip(&original)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 1);
    // --unsigned: no header at all.
    assert_eq!(requests[1].header("x-bullseye-signature"), None);
    assert_eq!(requests[1].body, original);
    // --wrong-secret: a well-formed signature that is not the right one.
    let wrong = requests[2].header("x-bullseye-signature").unwrap();
    assert_eq!(wrong.len(), 64);
    assert!(
        wrong
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_ne!(wrong, IDENTIFICATION_SIGNED_CURRENT);
    assert_ne!(wrong, IDENTIFICATION_SIGNED_PREVIOUS);
    assert_eq!(requests[2].body, original);
}

#[test]
fn visits_by_hmac_and_by_static_token() {
    let receiver = Receiver::start();
    let hmac = run(
        send(&receiver, "/visit").args(["--secret", CURRENT, "--example", "visit"]),
        None,
    );
    let token = run(
        send(&receiver, "/visit").args([
            "--secret",
            CURRENT,
            "--example",
            "visit",
            "--static-token",
        ]),
        None,
    );
    let given = run(
        send(&receiver, "/visit").args(["--example", "visit", "--signature", "not-the-token"]),
        None,
    );
    assert!(hmac.stdout.contains("200 OK"), "{hmac:?}");
    // The documented visit names no type: the receiver's parse answers "".
    assert!(hmac.stdout.contains(r#"{"event_type":""}"#), "{hmac:?}");
    // The token travels in the header, and is still never printed (run checks).
    assert!(token.stdout.contains("200 OK"), "{token:?}");
    assert!(given.stdout.contains("401 Unauthorized"), "{given:?}");
    let requests = receiver.requests();
    let header = |i: usize| requests[i].header("X-Webhook-Signature");
    assert_eq!(header(0).as_deref(), Some(VISIT_SIGNED_CURRENT));
    assert_eq!(header(1).as_deref(), Some(CURRENT));
    assert_eq!(header(2).as_deref(), Some("not-the-token"));
    assert!(
        requests
            .iter()
            .all(|r| r.header("x-bullseye-signature").is_none())
    );
}

#[test]
fn repeat_sends_the_same_delivery_and_shows_de_duplication() {
    let receiver = Receiver::start();
    let run = identification(&receiver, &["--repeat", "3"]);
    assert_eq!(run.code, 0, "{run:?}");
    for counter in ["[1/3] 200 OK", "[2/3] 200 OK", "[3/3] 200 OK"] {
        assert!(run.stdout.contains(counter), "{}", run.stdout);
    }
    assert!(run.stdout.contains("3 deliveries: "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("1 x 200 OK  {\"event_type\":\"visitor.identified\"}"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 x 200 OK  {\"duplicate\":true}"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "no progress line for 3: {run:?}");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.body == requests[0].body && r.headers == requests[0].headers)
    );
}

#[test]
fn a_large_repeat_shows_progress_and_a_summary() {
    let receiver = Receiver::start();
    let run = identification(&receiver, &["--repeat", "40", "--expect-status", "200"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("sent 4/40"), "{}", run.stderr);
    assert!(run.stderr.contains("sent 40/40"), "{}", run.stderr);
    assert!(
        !run.stdout.contains("[1/40]"),
        "summed up, not listed: {}",
        run.stdout
    );
    assert!(run.stdout.contains("40 deliveries: "), "{}", run.stdout);
    assert!(
        run.stdout.contains("39 x 200 OK  {\"duplicate\":true}"),
        "{}",
        run.stdout
    );
    assert_eq!(receiver.requests().len(), 40);
}

#[test]
fn json_output_is_one_object_per_delivery() {
    let receiver = Receiver::start();
    let run = identification(&receiver, &["--tamper", "--repeat", "2", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["attempt"], i + 1);
        assert_eq!(line["status"], 401);
        assert_eq!(line["reason"], "Unauthorized");
        assert_eq!(line["body"], r#"{"error":"signature_mismatch"}"#);
        assert!(line["time_ms"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn expect_status_turns_a_wrong_answer_into_exit_1() {
    let receiver = Receiver::start();
    let tampered =
        |status: &str| identification(&receiver, &["--tamper", "--expect-status", status]);
    let expected = tampered("401");
    assert_eq!(expected.code, 0, "{expected:?}");
    let unexpected = tampered("200");
    assert_eq!(unexpected.code, 1, "{unexpected:?}");
    assert!(
        unexpected.stderr.contains("expected status 200"),
        "{unexpected:?}"
    );
}

#[test]
fn large_bodies_go_with_expect_100_continue() {
    let receiver = Receiver::start();
    let mut medium = br#"{"event":"billing.updated","pad":""#.to_vec();
    medium.resize(100 * 1024, b'x');
    medium.extend_from_slice(br#""}"#);
    let accepted = run(
        send(&receiver, "/bullseye").args(["--secret", CURRENT, "-"]),
        Some(&medium),
    );
    assert!(accepted.stdout.contains("200 OK"), "{accepted:?}");
    // Over 1 MiB, the receiver answers 413 on the headers alone.
    let mut large = medium.clone();
    large.resize(1024 * 1024 + 1, b' ');
    let refused = run(
        send(&receiver, "/bullseye").args(["--secret", CURRENT, "-"]),
        Some(&large),
    );
    assert_eq!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stdout.contains("413 Payload Too Large"),
        "{refused:?}"
    );
    assert!(refused.stdout.contains("body_too_large"), "{refused:?}");
    let requests = receiver.requests();
    assert_eq!(requests[0].body, medium);
    for request in &requests {
        assert_eq!(request.header("expect").as_deref(), Some("100-continue"));
    }
    // A small body goes without it.
    identification(&receiver, &[]);
    assert_eq!(receiver.requests()[2].header("expect"), None);
}

#[test]
fn an_https_receiver_is_trusted_through_ca_cert() {
    let (receiver, ca_cert) = Receiver::start_https();
    assert!(receiver.url.starts_with("https://127.0.0.1:"));
    let trusted = identification(&receiver, &["--ca-cert", ca_cert.to_str().unwrap()]);
    assert_eq!(trusted.code, 0, "{trusted:?}");
    assert!(trusted.stdout.contains("200 OK in "), "{trusted:?}");
    assert!(
        trusted
            .stdout
            .contains(r#"{"event_type":"visitor.identified"}"#),
        "{trusted:?}"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("X-Bullseye-Signature").as_deref(),
        Some(IDENTIFICATION_SIGNED_CURRENT)
    );
    assert_eq!(
        requests[0].body,
        payload("bullseye-partner-api-identification.json")
    );
    // Without --ca-cert, the test CA is not among the built-in roots.
    let untrusted = identification(&receiver, &[]);
    assert_eq!(untrusted.code, 4, "{untrusted:?}");
    assert!(untrusted.stderr.contains("TLS"), "{untrusted:?}");
    assert!(untrusted.stderr.contains("UnknownIssuer"), "{untrusted:?}");
    assert!(untrusted.stderr.contains("--ca-cert FILE"), "{untrusted:?}");
    let missing = identification(&receiver, &["--ca-cert", "no-such-ca.pem"]);
    assert_eq!(missing.code, 3, "{missing:?}");
    assert!(
        missing.stderr.contains("cannot read no-such-ca.pem"),
        "{missing:?}"
    );
    let not_pem = identification(
        &receiver,
        &[
            "--ca-cert",
            fixture("payloads/bullseye-partner-api-identification.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(not_pem.code, 3, "{not_pem:?}");
    assert!(not_pem.stderr.contains("no PEM certificate"), "{not_pem:?}");
    assert_eq!(
        receiver.requests().len(),
        1,
        "only the trusted delivery arrived"
    );
}

#[test]
fn an_unreachable_url_exits_4() {
    // A port that was free a moment ago, and is closed now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = run(
        cli()
            .args([
                "send",
                "--secret",
                CURRENT,
                "--example",
                "identification",
                "--url",
            ])
            .arg(format!("http://127.0.0.1:{port}/bullseye")),
        None,
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.contains("cannot connect to 127.0.0.1:"),
        "{run:?}"
    );
    assert!(run.stderr.contains("is the receiver running?"), "{run:?}");
}

#[test]
fn a_silent_or_non_http_peer_exits_4() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/", silent.local_addr().unwrap());
    let garbage = TcpListener::bind("127.0.0.1:0").unwrap();
    let garbage_url = format!("http://{}/", garbage.local_addr().unwrap());
    std::thread::spawn(move || {
        // Accepts, reads, never answers; closes when the client gives up.
        if let Ok((mut stream, _)) = silent.accept() {
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        }
    });
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = garbage.accept() {
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
        }
    });
    let timed_out = run(
        cli()
            .args([
                "send",
                "--unsigned",
                "--example",
                "visit",
                "--timeout",
                "1",
                "--url",
            ])
            .arg(&silent_url),
        None,
    );
    assert_eq!(timed_out.code, 4, "{timed_out:?}");
    assert!(
        timed_out.stderr.contains("no answer within 1 s"),
        "{timed_out:?}"
    );
    let not_http = run(
        cli()
            .args(["send", "--unsigned", "--example", "visit", "--url"])
            .arg(&garbage_url),
        None,
    );
    assert_eq!(not_http.code, 4, "{not_http:?}");
    assert!(
        not_http.stderr.contains("not an HTTP response"),
        "{not_http:?}"
    );
}

#[test]
fn send_argument_and_input_errors() {
    let receiver = Receiver::start();
    let url = format!("{}/bullseye", receiver.url);
    let usage: &[&[&str]] = &[
        // No body.
        &["--secret", CURRENT],
        // Both a file and an example.
        &["--secret", CURRENT, "--example", "visit", "-"],
        // Two ways to break the signature at once.
        &[
            "--secret",
            CURRENT,
            "--example",
            "visit",
            "--tamper",
            "--unsigned",
        ],
        // No secret to sign with.
        &["--example", "visit"],
        &["--secret", CURRENT, "--example", "visit", "--repeat", "0"],
        &[
            "--secret",
            CURRENT,
            "--example",
            "visit",
            "--header",
            "Bad Header",
        ],
    ];
    for args in usage {
        let run = run(cli().args(["send", "--url", &url]).args(*args), None);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    for url in ["127.0.0.1:8080/bullseye", "ftp://x/"] {
        let run = run(
            cli().args([
                "send",
                "--secret",
                CURRENT,
                "--example",
                "visit",
                "--url",
                url,
            ]),
            None,
        );
        assert_eq!(run.code, 2, "{url}: {run:?}");
    }
    let missing_url = run(
        cli().args(["send", "--secret", CURRENT, "--example", "visit"]),
        None,
    );
    assert_eq!(missing_url.code, 2, "{missing_url:?}");
    assert!(missing_url.stderr.contains("--url"), "{missing_url:?}");
    let unreadable = run(
        cli()
            .args(["send", "--secret", CURRENT, "--url", &url])
            .arg(fixture("payloads/no-such-file.json")),
        None,
    );
    assert_eq!(unreadable.code, 3, "{unreadable:?}");
    assert!(unreadable.stderr.contains("cannot read"), "{unreadable:?}");
    // None of these reached the receiver.
    assert!(receiver.requests().is_empty());
}
