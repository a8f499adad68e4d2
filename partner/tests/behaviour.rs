//! `fixtures/partner-behaviour.json`, the edge behaviour the Rust, Python
//! and JS partner clients share: every case, each failure named by its case.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks_partner::internal::{
    MAX_MESSAGE_CHARS, MAX_RESPONSE_BYTES, RetryPolicy, backoff_bounds, retry_after_delay,
    server_message,
};
use bullseye_webhooks_partner::{ErrorKind, PartnerClient, WebhookKind};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/partner-behaviour.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cases<'a>(fixture: &'a Value, group: &str) -> &'a [Value] {
    let cases = fixture[group]["cases"].as_array().unwrap();
    assert!(!cases.is_empty(), "{group}: no cases");
    cases
}

/// A text field: a string, or `[text, times]` pieces repeated and joined.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(pieces) => pieces
            .iter()
            .map(|p| {
                p[0].as_str()
                    .unwrap()
                    .repeat(p[1].as_u64().unwrap() as usize)
            })
            .collect(),
        other => panic!("not a text: {other}"),
    }
}

fn ms(value: &Value) -> Option<Duration> {
    value.as_u64().map(Duration::from_millis)
}

/// Fails once, naming every case that failed.
fn check(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_defaults_are_the_shared_ones() {
    let defaults = &fixture()["defaults"];
    assert_eq!(
        defaults["max_response_bytes"].as_u64(),
        Some(MAX_RESPONSE_BYTES)
    );
    assert_eq!(
        defaults["max_message_chars"].as_u64(),
        Some(MAX_MESSAGE_CHARS as u64)
    );
    // The retry defaults are checked through the "retry" cases, which use them.
}

#[test]
fn retry_after() {
    let fixture = fixture();
    let mut failures = Vec::new();
    for case in cases(&fixture, "retry_after") {
        let name = case["name"].as_str().unwrap();
        let now = UNIX_EPOCH + Duration::from_millis(case["now_ms"].as_u64().unwrap());
        let got = retry_after_delay(case["header"].as_str().unwrap(), now);
        let want = ms(&case["delay_ms"]);
        if got != want {
            failures.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    check(failures);
}

#[test]
fn backoff() {
    let fixture = fixture();
    let mut failures = Vec::new();
    for case in cases(&fixture, "backoff") {
        let name = case["name"].as_str().unwrap();
        let retries = u32::try_from(case["retries"].as_u64().unwrap()).unwrap();
        let bounds = backoff_bounds(
            ms(&case["initial_backoff_ms"]).unwrap(),
            ms(&case["max_backoff_ms"]).unwrap(),
            retries,
        );
        let want = (ms(&case["min_ms"]).unwrap(), ms(&case["max_ms"]).unwrap());
        if bounds != want {
            failures.push(format!("{name}: got {bounds:?}, want {want:?}"));
        }
    }
    check(failures);
}

#[test]
fn retry() {
    let fixture = fixture();
    let policy = RetryPolicy::default();
    let mut failures = Vec::new();
    for case in cases(&fixture, "retry") {
        let name = case["name"].as_str().unwrap();
        let status = case["status"].as_u64().map(|s| u16::try_from(s).unwrap());
        let retries = u32::try_from(case["retries"].as_u64().unwrap()).unwrap();
        let idempotent = case["idempotent"].as_bool().unwrap();
        let wanted = &case["wait"];
        // The jitter is random: every draw must fall within the bounds.
        for _ in 0..50 {
            let got = policy.wait(status, ms(&case["retry_after_ms"]), retries, idempotent);
            let ok = match (got, wanted) {
                (None, Value::Null) => true,
                (Some(wait), Value::Object(range)) => {
                    ms(&range["min_ms"]).unwrap() <= wait && wait <= ms(&range["max_ms"]).unwrap()
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{name}: got {got:?}, want {wanted}"));
                break;
            }
        }
    }
    check(failures);
}

#[test]
fn messages() {
    let fixture = fixture();
    let mut failures = Vec::new();
    for case in cases(&fixture, "messages") {
        let name = case["name"].as_str().unwrap();
        let secrets: Vec<&str> = case["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let got = server_message(text(&case["body"]).as_bytes(), &secrets);
        let want = text(&case["message"]);
        if got != want {
            failures.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    check(failures);
}

/// Serves one answer on 127.0.0.1 (after reading the request), then stops.
fn serve_once(status: u16, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut request_body = vec![0; length];
        reader.read_exact(&mut request_body).unwrap();
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        // The client may stop reading an answer over its cap.
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
    });
    base
}

fn client(key: &str, base: &str) -> PartnerClient {
    PartnerClient::builder(key)
        .base_url(base)
        .max_retries(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn echoed_key() {
    let fixture = fixture();
    let key = fixture["api_key"].as_str().unwrap();
    let mut failures = Vec::new();
    for case in cases(&fixture, "echoed_key") {
        let name = case["name"].as_str().unwrap();
        let status = u16::try_from(case["status"].as_u64().unwrap()).unwrap();
        let base = serve_once(status, text(&case["body"]).into_bytes());
        let client = client(key, &base);
        let error = client.get_config().unwrap_err();
        if error.message() != text(&case["message"]) {
            failures.push(format!("{name}: message {:?}", error.message()));
        }
        for shown in [
            error.to_string(),
            format!("{error:?}"),
            format!("{client:?}"),
        ] {
            if shown.contains(key) {
                failures.push(format!("{name}: the key in {shown:?}"));
            }
        }
        if !format!("{client:?}").contains("[REDACTED]") {
            failures.push(format!("{name}: Debug of the client without [REDACTED]"));
        }
    }
    check(failures);
}

#[test]
fn response_size() {
    let fixture = fixture();
    let mut failures = Vec::new();
    for case in cases(&fixture, "response_size") {
        let name = case["name"].as_str().unwrap();
        let size = usize::try_from(case["body_bytes"].as_u64().unwrap()).unwrap();
        let frame = br#"{"success":true,"message":""}"#;
        let mut body = frame[..frame.len() - 2].to_vec();
        body.resize(size - 2, b'x');
        body.extend_from_slice(b"\"}");
        assert_eq!(body.len(), size);
        let base = serve_once(200, body);
        let outcome = client("k", &base).send_test(WebhookKind::Identification);
        match (case["outcome"].as_str().unwrap(), outcome) {
            ("ok", Ok(result)) if result.success => {}
            ("transport", Err(error))
                if error.kind() == ErrorKind::Transport
                    && error
                        .message()
                        .contains(case["message_contains"].as_str().unwrap()) => {}
            (_, outcome) => failures.push(format!("{name}: got {:?}", outcome.map(|r| r.success))),
        }
    }
    check(failures);
}

/// A sanity check of the clock the client reads Retry-After dates with.
#[test]
fn a_date_in_the_future_waits_until_then() {
    let later = SystemTime::now() + Duration::from_secs(120);
    let wait = retry_after_delay(&httpdate::fmt_http_date(later), SystemTime::now()).unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
}
