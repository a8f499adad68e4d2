//! The client over real HTTP on 127.0.0.1, against a tiny server that answers
//! a script and records every request: headers, retries, Retry-After,
//! errors, pagination, and that the key never shows.
//! (The whole API against the emulator is in the emulator crate's tests.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bullseye_webhooks_partner::{ErrorKind, LogsQuery, PartnerClient, WebhookKind, WebhookUpdate};

const KEY: &str = "pk_test_scripted_0123456789";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

struct Scripted {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// Serve `answers` in order, one per connection, then stop accepting.
    fn start(answers: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for (status, headers, body) in answers {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let request = read_request(&stream);
                log.lock().unwrap().push(request);
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&body);
                let mut stream = stream;
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Self { base_url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn client(&self) -> PartnerClient {
        PartnerClient::builder(KEY)
            .base_url(&self.base_url)
            .initial_backoff(Duration::from_millis(20))
            .max_backoff(Duration::from_millis(50))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }
}

fn read_request(stream: &TcpStream) -> Seen {
    let at = Instant::now();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    Seen {
        method,
        target,
        headers,
        body: String::from_utf8(body).unwrap(),
        at,
    }
}

fn ok(body: &str) -> Answer {
    (
        200,
        vec![("content-type", "application/json".into())],
        body.into(),
    )
}

#[test]
fn every_call_sends_the_key_method_path_and_body() {
    let server = Scripted::start(vec![
        ok(
            r#"{"identification":{"url":null,"enabled":false,"hasSecret":false},"billing":{"url":"https://b","enabled":true,"hasSecret":true}}"#,
        ),
        ok(r#"{"identification":{"url":"https://r/id","enabled":true,"hasSecret":true}}"#),
        ok(r#"{"billing":{"url":"https://r/b","enabled":false,"hasSecret":false}}"#),
        ok(r#"{"success":true,"message":"Test webhook sent successfully"}"#),
        ok(r#"{"logs":[],"total":0,"page":3,"pageSize":5}"#),
    ]);
    let client = server.client();

    let config = client.get_config().unwrap();
    assert_eq!(config.identification.unwrap().url, None);
    assert!(config.billing.unwrap().has_secret);

    let id = client
        .set_identification(
            &WebhookUpdate::new()
                .url("https://r/id")
                .secret("whsec_abc")
                .enabled(true),
        )
        .unwrap();
    assert_eq!(id.url.as_deref(), Some("https://r/id"));
    let billing = client
        .set_billing(&WebhookUpdate::new().enabled(false))
        .unwrap();
    assert!(!billing.enabled);
    let test = client.send_test(WebhookKind::Billing).unwrap();
    assert!(test.success);
    let page = client
        .logs(
            &LogsQuery::new()
                .page(3)
                .page_size(5)
                .kind(WebhookKind::Identification)
                .status("failed")
                .organization_id("org 1&2"),
        )
        .unwrap();
    assert_eq!((page.page, page.page_size), (3, 5));

    let seen = server.seen();
    let calls: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.target.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "/api/v1/partner/webhooks"),
            ("PUT", "/api/v1/partner/webhooks/identification"),
            ("PUT", "/api/v1/partner/webhooks/billing"),
            ("POST", "/api/v1/partner/webhooks/test"),
            (
                "GET",
                "/api/v1/partner/webhooks/logs?page=3&pageSize=5&type=identification&status=failed&organizationId=org%201%262"
            ),
        ]
    );
    for request in &seen {
        assert_eq!(
            request.header("x-partner-api-key"),
            Some(KEY),
            "{request:?}"
        );
    }
    let put: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(
        put,
        serde_json::json!({"url": "https://r/id", "secret": "whsec_abc", "enabled": true})
    );
    assert_eq!(seen[1].header("content-type"), Some("application/json"));
    assert_eq!(seen[2].body, r#"{"enabled":false}"#);
    assert_eq!(seen[3].body, r#"{"type":"billing"}"#);
}

#[test]
fn retries_429_after_retry_after_and_5xx_with_backoff() {
    let server = Scripted::start(vec![
        (
            429,
            vec![("retry-after", "1".into())],
            r#"{"message":"slow down"}"#.into(),
        ),
        (502, vec![], "Bad Gateway".into()),
        (503, vec![], r#"{"error":"maintenance"}"#.into()),
        ok(r#"{"identification":{"url":"https://x","enabled":true,"hasSecret":false}}"#),
    ]);
    let started = Instant::now();
    let config = server.client().get_config().unwrap();
    assert_eq!(
        config.identification.unwrap().url.as_deref(),
        Some("https://x")
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "one call, three retries");
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After: 1 honoured, waited {gap:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_retry_after_http_date_is_waited_for() {
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    let server = Scripted::start(vec![
        (503, vec![("retry-after", date)], "busy".into()),
        ok(r#"{"identification":null,"billing":null}"#),
    ]);
    assert!(server.client().get_config().is_ok());
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // The date has whole seconds: between 1 and 2 s from the first answer.
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(900), "waited {gap:?}");
}

#[test]
fn gives_up_after_the_retries_with_the_status_and_the_servers_message() {
    let answers = (0..4)
        .map(|_| (500, vec![], r#"{"message":"database is down"}"#.to_owned()))
        .collect();
    let server = Scripted::start(answers);
    let error = server
        .client()
        .send_test(WebhookKind::Identification)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.message(), "database is down");
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn client_errors_are_not_retried_and_never_show_the_key() {
    // A server that echoes the key back in its message.
    let server = Scripted::start(vec![(
        401,
        vec![],
        format!(r#"{{"error":"Unauthorized","message":"invalid API key {KEY}"}}"#),
    )]);
    let error = server.client().get_config().unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert!(error.is_unauthorized());
    for text in [
        error.to_string(),
        format!("{error:?}"),
        error.message().to_owned(),
    ] {
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains("invalid API key [REDACTED]"), "{text}");
    }
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_long_retry_after_is_returned_not_waited_for() {
    let server = Scripted::start(vec![(
        429,
        vec![("retry-after", "3600".into())],
        r#"{"message":"quota"}"#.into(),
    )]);
    let started = Instant::now();
    let error = server.client().get_config().unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_2xx_that_is_not_the_documented_shape_is_a_decode_error() {
    let server = Scripted::start(vec![ok("<html>maintenance</html>"), ok(r#"{"other":{}}"#)]);
    let client = server.client();
    let error = client.get_config().unwrap_err();
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::Decode, Some(200))
    );
    let error = client
        .set_identification(&WebhookUpdate::new().enabled(true))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

#[test]
fn iter_logs_walks_every_page_and_stops_at_total() {
    let entry = |n: u32| format!(r#"{{"id":"{n}","type":"billing","status":"failed"}}"#);
    let page = |n: u32, ids: &[u32]| {
        let logs: Vec<String> = ids.iter().map(|&i| entry(i)).collect();
        ok(&format!(
            r#"{{"logs":[{}],"total":5,"page":{n},"pageSize":2}}"#,
            logs.join(",")
        ))
    };
    let server = Scripted::start(vec![page(1, &[1, 2]), page(2, &[3, 4]), page(3, &[5])]);
    let entries = server
        .client()
        .all_logs(LogsQuery::new().page_size(2).kind(WebhookKind::Billing))
        .unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    let targets: Vec<String> = server.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(
        targets,
        [
            "/api/v1/partner/webhooks/logs?page=1&pageSize=2&type=billing",
            "/api/v1/partner/webhooks/logs?page=2&pageSize=2&type=billing",
            "/api/v1/partner/webhooks/logs?page=3&pageSize=2&type=billing",
        ]
    );
}

#[test]
fn iter_logs_yields_the_error_and_stops() {
    let server = Scripted::start(vec![
        ok(r#"{"logs":[{"id":"a"}],"total":3,"page":1,"pageSize":1}"#),
        (400, vec![], r#"{"message":"bad page"}"#.into()),
    ]);
    let client = server.client();
    let mut iter = client.iter_logs(LogsQuery::new().page_size(1));
    assert_eq!(iter.next().unwrap().unwrap().id, "a");
    assert_eq!(iter.next().unwrap().unwrap_err().message(), "bad page");
    assert!(iter.next().is_none());
}

#[test]
fn no_answer_is_a_transport_error_after_the_timeout() {
    // Accepts, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hold = thread::spawn(move || {
        let mut held = Vec::new();
        for _ in 0..2 {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
        }
        thread::sleep(Duration::from_secs(2));
    });
    let client = PartnerClient::builder(KEY)
        .base_url(base)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.send_test(WebhookKind::Identification).unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Transport, None));
    assert!(error.message().contains("timed out"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(hold);
}
