//! The demo's sender: posts every delivery to every receiver given as
//! `--receiver NAME=URL` and prints one table, a column per receiver.
//! Exits 1 when any receiver's answer differs from the expected one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use bullseye_webhooks::{SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, sign};

/// One request the sender makes, and the answer every receiver must give.
struct Delivery {
    name: &'static str,
    route: &'static str,
    header: &'static str,
    body: Vec<u8>,
    signature: Option<String>,
    expected_status: u16,
    expected_error: Option<&'static str>,
}

/// What one receiver answered.
struct Answer {
    status: u16,
    summary: String,
    error: Option<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("demo sender: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let mut receivers = Vec::new();
    let mut fixtures = PathBuf::from("fixtures");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--receiver" => {
                let value = args.next().ok_or("--receiver needs NAME=URL")?;
                let (name, url) = value.split_once('=').ok_or("--receiver needs NAME=URL")?;
                receivers.push((name.to_owned(), url.trim_end_matches('/').to_owned()));
            }
            "--fixtures" => fixtures = PathBuf::from(args.next().ok_or("--fixtures needs DIR")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if receivers.is_empty() {
        return Err("give at least one --receiver NAME=URL".to_owned());
    }
    let secret = std::env::var("DEMO_SECRET").map_err(|_| "DEMO_SECRET is not set")?;
    let previous =
        std::env::var("DEMO_PREVIOUS_SECRET").map_err(|_| "DEMO_PREVIOUS_SECRET is not set")?;
    let deliveries = deliveries(&fixtures, &secret, &previous)?;

    let mut rows = vec![{
        let mut header = vec!["delivery".to_owned(), "expected".to_owned()];
        header.extend(receivers.iter().map(|(name, _)| name.clone()));
        header
    }];
    let mut all_as_expected = true;
    for delivery in &deliveries {
        let expected = match delivery.expected_error {
            Some(code) => format!("{} {code}", delivery.expected_status),
            None => delivery.expected_status.to_string(),
        };
        let mut row = vec![delivery.name.to_owned(), expected];
        for (_, url) in &receivers {
            let cell = match post(url, delivery) {
                Ok(answer) => {
                    let ok = answer.status == delivery.expected_status
                        && answer.error.as_deref() == delivery.expected_error;
                    all_as_expected &= ok;
                    format!(
                        "{}{} {}",
                        if ok { "" } else { "UNEXPECTED " },
                        answer.status,
                        answer.summary
                    )
                }
                Err(e) => {
                    all_as_expected = false;
                    format!("FAILED {e}")
                }
            };
            row.push(cell);
        }
        rows.push(row);
    }
    print_table(&rows);
    println!(
        "\n{} deliveries x {} receivers: {}",
        deliveries.len(),
        receivers.len(),
        if all_as_expected {
            "every answer as expected"
        } else {
            "SOME ANSWERS WERE WRONG"
        }
    );
    Ok(all_as_expected)
}

fn read(fixtures: &Path, name: &str) -> Result<Vec<u8>, String> {
    let path = fixtures.join("payloads").join(name);
    std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn deliveries(fixtures: &Path, secret: &str, previous: &str) -> Result<Vec<Delivery>, String> {
    let integrations = read(fixtures, "identification-event.json")?;
    let partner = read(fixtures, "identification-event-type.json")?;
    let generic = read(fixtures, "generic-test-event.json")?;
    let visit = read(fixtures, "visit-new-visit.json")?;

    let bullseye = |name, body: Vec<u8>, signature: Option<String>, status, error| Delivery {
        name,
        route: "/bullseye",
        header: SIGNATURE_HEADER,
        body,
        signature,
        expected_status: status,
        expected_error: error,
    };
    let signed = |body: &[u8]| Some(sign(secret, body));

    let mut tampered = integrations.clone();
    if let Some(byte) = tampered.iter_mut().rev().find(|b| b.is_ascii_digit()) {
        *byte = if *byte == b'9' { b'0' } else { *byte + 1 };
    }
    let reserialized = serde_json::from_slice::<serde_json::Value>(&integrations)
        .map(|v| v.to_string().into_bytes())
        .map_err(|e| format!("identification fixture is not JSON: {e}"))?;
    let oversized = {
        let mut body = b"{\"event\":\"visitor.identified\",\"pad\":\"".to_vec();
        body.resize(1024 * 1024, b'x');
        body.extend_from_slice(b"\"}");
        body
    };
    let no_type = br#"{"timestamp":"2025-01-15T10:30:00Z","visitor":{}}"#.to_vec();

    Ok(vec![
        bullseye(
            "signed, `event` key",
            integrations.clone(),
            signed(&integrations),
            200,
            None,
        ),
        bullseye(
            "signed, `event_type` key",
            partner.clone(),
            signed(&partner),
            200,
            None,
        ),
        bullseye(
            "signed with the previous secret (rotation)",
            integrations.clone(),
            Some(sign(previous, &integrations)),
            200,
            None,
        ),
        bullseye(
            "signature upper-case, padded",
            integrations.clone(),
            signed(&integrations).map(|s| format!("  {}\t", s.to_uppercase())),
            200,
            None,
        ),
        bullseye(
            "other event type (generic)",
            generic.clone(),
            signed(&generic),
            200,
            None,
        ),
        bullseye(
            "tampered body (one digit changed)",
            tampered,
            signed(&integrations),
            401,
            Some("signature_mismatch"),
        ),
        bullseye(
            "re-serialized JSON",
            reserialized,
            signed(&integrations),
            401,
            Some("signature_mismatch"),
        ),
        bullseye(
            "signed with a wrong secret",
            integrations.clone(),
            Some(sign("whsec_wrong", &integrations)),
            401,
            Some("signature_mismatch"),
        ),
        bullseye(
            "unsigned",
            integrations.clone(),
            None,
            400,
            Some("missing_signature"),
        ),
        bullseye(
            "signature too short",
            integrations.clone(),
            signed(&integrations).map(|s| s[..63].to_owned()),
            400,
            Some("malformed_signature"),
        ),
        bullseye(
            "signature not hex",
            integrations.clone(),
            Some("z".repeat(64)),
            400,
            Some("malformed_signature"),
        ),
        bullseye(
            "signed, not JSON",
            b"visitor=jane".to_vec(),
            signed(b"visitor=jane"),
            400,
            Some("invalid_body"),
        ),
        bullseye(
            "signed, no event type",
            no_type.clone(),
            signed(&no_type),
            400,
            Some("invalid_payload"),
        ),
        bullseye(
            "body over 1 MiB",
            oversized.clone(),
            signed(&oversized),
            413,
            Some("body_too_large"),
        ),
        Delivery {
            name: "visit, HMAC signature",
            route: "/visit",
            header: VISIT_SIGNATURE_HEADER,
            body: visit.clone(),
            signature: signed(&visit),
            expected_status: 200,
            expected_error: None,
        },
        Delivery {
            name: "visit, static token",
            route: "/visit",
            header: VISIT_SIGNATURE_HEADER,
            body: visit.clone(),
            signature: Some(secret.to_owned()),
            expected_status: 200,
            expected_error: None,
        },
        Delivery {
            name: "visit, wrong token",
            route: "/visit",
            header: VISIT_SIGNATURE_HEADER,
            body: visit,
            signature: Some("not-the-token".to_owned()),
            expected_status: 401,
            expected_error: Some("signature_mismatch"),
        },
    ])
}

/// One HTTP/1.1 POST over a plain socket: the demo needs nothing more, and
/// every byte sent is visible here.
fn post(base_url: &str, delivery: &Delivery) -> Result<Answer, String> {
    let authority = base_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base_url}: only http:// URLs"))?;
    let (host_port, prefix) = match authority.split_once('/') {
        Some((host, path)) => (host, format!("/{path}")),
        None => (authority, String::new()),
    };
    let mut stream = TcpStream::connect(host_port).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    // A large body goes with `Expect: 100-continue`, so a receiver that
    // refuses by Content-Length alone can answer before the body is sent
    // (instead of closing on an unread body and resetting the connection).
    let expect_continue = delivery.body.len() > EXPECT_CONTINUE_ABOVE;
    let mut request = format!(
        "POST {prefix}{} HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        delivery.route,
        delivery.body.len()
    );
    if expect_continue {
        request.push_str("Expect: 100-continue\r\n");
    }
    if let Some(signature) = &delivery.signature {
        request.push_str(&format!("{}: {signature}\r\n", delivery.header));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut response = Vec::new();
    if expect_continue {
        let head = read_head(&mut stream)?;
        // No answer within the wait: a receiver that ignores `Expect`
        // gets the body anyway (RFC 9110, section 10.1.1).
        if !head.is_empty() && !head.starts_with(b"HTTP/1.1 100") {
            // A final answer before the body: that is the response.
            response = head;
            stream
                .read_to_end(&mut response)
                .map_err(|e| format!("receive: {e}"))?;
            return parse_response(&response);
        }
    }
    stream
        .write_all(&delivery.body)
        .map_err(|e| format!("send: {e}"))?;
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("receive: {e}"))?;
    parse_response(&response)
}

/// Bodies above this size are sent with `Expect: 100-continue`.
const EXPECT_CONTINUE_ABOVE: usize = 64 * 1024;

/// Read one response head (through the blank line), byte by byte so that
/// nothing after it is consumed; empty when nothing came within 2 seconds.
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let set_timeout = |stream: &TcpStream, secs| {
        stream
            .set_read_timeout(Some(Duration::from_secs(secs)))
            .map_err(|e| e.to_string())
    };
    set_timeout(stream, 2)?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.extend_from_slice(&byte),
            Err(e)
                if head.is_empty()
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
            {
                break;
            }
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
    set_timeout(stream, 10)?;
    Ok(head)
}

fn parse_response(response: &[u8]) -> Result<Answer, String> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP response")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no HTTP status")?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    let field = |key: &str| json.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let error = field("error");
    let summary = match &error {
        Some(code) => code.clone(),
        None => ["event_type", "email", "company_domain", "visit_id"]
            .iter()
            .filter_map(|key| field(key))
            .collect::<Vec<_>>()
            .join(" "),
    };
    Ok(Answer {
        status,
        summary,
        error,
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(rest.get(..size).unwrap_or(""));
        body = rest.get(size..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}

fn print_table(rows: &[Vec<String>]) {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("| {} |", line.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            println!("|-{}-|", rule.join("-|-"));
        }
    }
}
