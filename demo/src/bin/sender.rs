//! The demo's sender: sends every delivery to every receiver given as
//! `--receiver NAME=URL` by running the CLI, `bullseye-webhooks send --json`
//! (given as `--cli PATH`), and prints one table, a column per receiver.
//! Exits 1 when any receiver's answer differs from the expected one.
//!
//! Two rows check de-duplication on `POST /bullseye-once` (the same signed
//! delivery sent twice; a copy sent while the first is still being handled)
//! and read how often each receiver's handler ran from `GET /handled?key=`.
//! A receiver given as `--without-store NAME` (the edge Worker) has no store
//! by design: those two cells say so and count neither way.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use bullseye_webhooks::{SIGNATURE_HEADER, VISIT_SIGNATURE_HEADER, sign};

/// One request the sender makes, and the answer every receiver must give.
struct Delivery {
    name: &'static str,
    route: &'static str,
    /// `send`'s arguments besides `--url` and `--json`: how to sign, and
    /// the body (a file, or `-` for `stdin`).
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    expected_status: u16,
    expected_error: Option<&'static str>,
    /// For identifications whose typed view is checked: `company.size` and
    /// the paths the receiver reports as mismatched.
    expected_typed: Option<(Option<i64>, &'static [&'static str])>,
    /// The `event_type` a 200 must name, where the row checks it.
    expected_event_type: Option<&'static str>,
}

/// What one receiver answered.
struct Answer {
    status: u16,
    summary: String,
    error: Option<String>,
    event_type: Option<String>,
    company_size: Option<i64>,
    mismatches: Vec<String>,
}

impl Answer {
    fn is(&self, delivery: &Delivery) -> bool {
        self.status == delivery.expected_status
            && self.error.as_deref() == delivery.expected_error
            && delivery
                .expected_event_type
                .is_none_or(|t| self.event_type.as_deref() == Some(t))
            && delivery.expected_typed.is_none_or(|(size, paths)| {
                self.company_size == size
                    && self
                        .mismatches
                        .iter()
                        .map(String::as_str)
                        .eq(paths.iter().copied())
            })
    }
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
    let mut without_store = Vec::new();
    let mut fixtures = PathBuf::from("fixtures");
    let mut cli = None;
    let mut logs = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--receiver" => {
                let value = args.next().ok_or("--receiver needs NAME=URL")?;
                let (name, url) = value.split_once('=').ok_or("--receiver needs NAME=URL")?;
                receivers.push((name.to_owned(), url.trim_end_matches('/').to_owned()));
            }
            "--without-store" => {
                without_store.push(args.next().ok_or("--without-store needs NAME")?);
            }
            "--fixtures" => fixtures = PathBuf::from(args.next().ok_or("--fixtures needs DIR")?),
            "--cli" => cli = Some(PathBuf::from(args.next().ok_or("--cli needs PATH")?)),
            "--logs" => logs = Some(PathBuf::from(args.next().ok_or("--logs needs DIR")?)),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if receivers.is_empty() {
        return Err("give at least one --receiver NAME=URL".to_owned());
    }
    let cli = cli.ok_or("give --cli PATH, the bullseye-webhooks binary")?;
    let secret = std::env::var("DEMO_SECRET").map_err(|_| "DEMO_SECRET is not set")?;
    for name in [PREVIOUS, BITNOB, BITNOB_PREVIOUS] {
        if std::env::var_os(name).is_none() {
            return Err(format!("{name} is not set"));
        }
    }
    let deliveries = deliveries(&fixtures, &secret)?;
    let once = [Once::Duplicate, Once::InFlight];

    let mut rows = vec![{
        let mut header = vec!["delivery".to_owned(), "expected".to_owned()];
        header.extend(receivers.iter().map(|(name, _)| name.clone()));
        header
    }];
    let (mut passed, mut failed, mut not_applicable) = (0usize, 0usize, 0usize);
    for delivery in &deliveries {
        let expected = match (delivery.expected_error, delivery.expected_typed) {
            (Some(code), _) => format!("{} {code}", delivery.expected_status),
            (None, Some((size, paths))) => format!(
                "{} size={} mismatches=[{}]",
                delivery.expected_status,
                size.map_or("null".to_owned(), |s| s.to_string()),
                paths.join(",")
            ),
            (None, None) => match delivery.expected_event_type {
                Some(event_type) => format!("{} {event_type}", delivery.expected_status),
                None => delivery.expected_status.to_string(),
            },
        };
        let mut row = vec![delivery.name.to_owned(), expected];
        for (_, url) in &receivers {
            let cell = match send(&cli, url, delivery) {
                Ok(answer) => {
                    let ok = answer.is(delivery);
                    if ok {
                        passed += 1
                    } else {
                        failed += 1
                    }
                    format!(
                        "{}{} {}",
                        if ok { "" } else { "UNEXPECTED " },
                        answer.status,
                        answer.summary
                    )
                }
                Err(e) => {
                    failed += 1;
                    format!("FAILED {e}")
                }
            };
            row.push(cell);
        }
        rows.push(row);
    }
    for check in once {
        let mut row = vec![check.name().to_owned(), check.expected().to_owned()];
        for (name, url) in &receivers {
            let cell = if without_store.contains(name) {
                not_applicable += 1;
                "n/a (edge: no store)".to_owned()
            } else {
                match check.run(&cli, url, &secret) {
                    Ok(summary) => {
                        passed += 1;
                        summary
                    }
                    Err(e) => {
                        failed += 1;
                        format!("UNEXPECTED {e}")
                    }
                }
            };
            row.push(cell);
        }
        rows.push(row);
    }
    print_table(&rows);
    // Each receiver logs the drifted delivery's mismatch (path and types,
    // never the value): one check per receiver.
    if let Some(logs) = &logs {
        for (name, _) in &receivers {
            let log = std::fs::read_to_string(logs.join(format!("{name}.err"))).unwrap_or_default();
            let line = log
                .lines()
                .find(|l| l.contains("company.size") && l.contains("integer"));
            match line {
                Some(line) => {
                    passed += 1;
                    println!("{name} logged: {}", line.trim());
                }
                None => {
                    failed += 1;
                    println!("{name} did NOT log the drifted field's mismatch");
                }
            }
        }
    }
    println!(
        "\n{} rows x {} receivers{}: {}",
        deliveries.len() + once.len(),
        receivers.len(),
        if not_applicable > 0 {
            format!(" ({not_applicable} cells n/a, counted neither way)")
        } else {
            String::new()
        },
        if failed == 0 {
            "every answer as expected"
        } else {
            "SOME ANSWERS WERE WRONG"
        }
    );
    // The closing line CI reads: one answer of one receiver is one check.
    println!("demo: {passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// The environment variables holding the demo's secrets (`run.sh` sets them).
const CURRENT: &str = "DEMO_SECRET";
const PREVIOUS: &str = "DEMO_PREVIOUS_SECRET";
const BITNOB: &str = "DEMO_BITNOB_SECRET";
const BITNOB_PREVIOUS: &str = "DEMO_BITNOB_PREVIOUS_SECRET";
/// The event of the CLI's Bitnob sample (`bullseye-webhooks example bitnob`).
const BITNOB_EVENT: &str = "virtualcard.transaction.debit";

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The delivery `name`: `send`'s `args`, then the expected answer.
fn delivery(
    name: &'static str,
    route: &'static str,
    args: &[&str],
    stdin: Option<Vec<u8>>,
    expected: (u16, Option<&'static str>),
) -> Delivery {
    Delivery {
        name,
        route,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        stdin,
        expected_status: expected.0,
        expected_error: expected.1,
        expected_typed: None,
        expected_event_type: None,
    }
}

/// A Bitnob delivery to `/bitnob`, made by `send --scheme bitnob` (implied
/// by `--example bitnob`, the CLI's sample `virtualcard.transaction.debit`).
fn bitnob(name: &'static str, args: &[&str], expected: (u16, Option<&'static str>)) -> Delivery {
    let mut all = vec!["--example", "bitnob"];
    all.extend_from_slice(args);
    Delivery {
        expected_event_type: expected.1.is_none().then_some(BITNOB_EVENT),
        ..delivery(name, "/bitnob", &all, None, expected)
    }
}

/// A `visitor.identified` delivery answered 200 with this `company.size`
/// and these mismatched paths.
fn typed(
    name: &'static str,
    args: &[&str],
    stdin: Option<Vec<u8>>,
    company_size: Option<i64>,
    mismatches: &'static [&'static str],
) -> Delivery {
    Delivery {
        expected_typed: Some((company_size, mismatches)),
        ..delivery(name, "/bullseye", args, stdin, (200, None))
    }
}

fn deliveries(fixtures: &Path, secret: &str) -> Result<Vec<Delivery>, String> {
    let payload = |name: &str| fixtures.join("payloads").join(name);
    let integrations_path = payload("identification-event.json");
    let integrations = read(&integrations_path)?;
    let integrations_file = integrations_path.display().to_string();
    let partner_file = payload("identification-event-type.json")
        .display()
        .to_string();
    let generic_file = payload("generic-test-event.json").display().to_string();
    let visit_file = payload("visit-new-visit.json").display().to_string();
    let documented_path = payload("bullseye-partner-api-identification.json");
    let documented = read(&documented_path)?;
    let documented_file = documented_path.display().to_string();
    let documented_visit = payload("fingerprinting-api-visit.json")
        .display()
        .to_string();
    // The documented example as Bullseye might change it: the size sent as
    // a string. A genuine delivery, so it must still be accepted.
    let drifted = String::from_utf8(documented)
        .map_err(|e| format!("the documented example is not UTF-8: {e}"))?
        .replacen("\"size\": 150", "\"size\": \"150\"", 1);
    if !drifted.contains("\"size\": \"150\"") {
        return Err("the documented example has no `\"size\": 150` to drift".to_owned());
    }
    let (identification, visit) = (integrations_file.as_str(), visit_file.as_str());

    // The signatures the CLI cannot make itself: deliberately odd ones.
    let signature = sign(secret, &integrations);
    let padded = format!("  {}\t", signature.to_uppercase());
    let short = signature.get(..63).unwrap_or_default();
    let not_hex = "z".repeat(64);
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

    let ok = (200, None);
    let mismatch = (401, Some("signature_mismatch"));
    let malformed = (400, Some("malformed_signature"));
    let header = VISIT_SIGNATURE_HEADER;
    let b = "/bullseye";
    Ok(vec![
        typed(
            "documented example (partner-API page)",
            &["--secret-env", CURRENT, &documented_file],
            None,
            Some(150),
            &[],
        ),
        typed(
            "drifted: company.size sent as \"150\"",
            &["--secret-env", CURRENT, "-"],
            Some(drifted.into_bytes()),
            Some(150),
            &["company.size"],
        ),
        delivery(
            "documented visit (fingerprinting-api)",
            "/visit",
            &[
                "--secret-env",
                CURRENT,
                "--header",
                VISIT_SIGNATURE_HEADER,
                &documented_visit,
            ],
            None,
            ok,
        ),
        delivery(
            "signed, `event` key (own sample, 4 fields drifted)",
            b,
            &["--secret-env", CURRENT, identification],
            None,
            ok,
        ),
        delivery(
            "signed, `event_type` key",
            b,
            &["--secret-env", CURRENT, &partner_file],
            None,
            ok,
        ),
        delivery(
            "signed with the previous secret (rotation)",
            b,
            &["--secret-env", PREVIOUS, identification],
            None,
            ok,
        ),
        delivery(
            "signature upper-case, padded",
            b,
            &["--signature", &padded, identification],
            None,
            ok,
        ),
        delivery(
            "other event type (generic)",
            b,
            &["--secret-env", CURRENT, &generic_file],
            None,
            ok,
        ),
        delivery(
            "tampered body (one digit changed)",
            b,
            &["--secret-env", CURRENT, "--tamper", identification],
            None,
            mismatch,
        ),
        delivery(
            "re-serialized JSON",
            b,
            &["--signature", &signature, "-"],
            Some(reserialized),
            mismatch,
        ),
        delivery(
            "signed with a wrong secret",
            b,
            &["--wrong-secret", identification],
            None,
            mismatch,
        ),
        delivery(
            "unsigned",
            b,
            &["--unsigned", identification],
            None,
            (400, Some("missing_signature")),
        ),
        delivery(
            "signature too short",
            b,
            &["--signature", short, identification],
            None,
            malformed,
        ),
        delivery(
            "signature not hex",
            b,
            &["--signature", &not_hex, identification],
            None,
            malformed,
        ),
        delivery(
            "signed, not JSON",
            b,
            &["--secret-env", CURRENT, "-"],
            Some(b"visitor=jane".to_vec()),
            (400, Some("invalid_body")),
        ),
        delivery(
            "signed, no event type",
            b,
            &["--secret-env", CURRENT, "-"],
            Some(no_type),
            (400, Some("invalid_payload")),
        ),
        delivery(
            "body over 1 MiB",
            b,
            &["--secret-env", CURRENT, "-"],
            Some(oversized),
            (413, Some("body_too_large")),
        ),
        delivery(
            "visit, HMAC (own sample, timezone drifted)",
            "/visit",
            &["--secret-env", CURRENT, "--header", header, visit],
            None,
            ok,
        ),
        delivery(
            "visit, static token",
            "/visit",
            &[
                "--secret-env",
                CURRENT,
                "--static-token",
                "--header",
                header,
                visit,
            ],
            None,
            ok,
        ),
        delivery(
            "visit, wrong token",
            "/visit",
            &["--signature", "not-the-token", "--header", header, visit],
            None,
            mismatch,
        ),
        bitnob(
            "Bitnob: signed (SHA-256 of timestamp.body)",
            &["--secret-env", BITNOB],
            ok,
        ),
        bitnob(
            "Bitnob: signed with the previous secret (rotation)",
            &["--secret-env", BITNOB_PREVIOUS],
            ok,
        ),
        bitnob(
            "Bitnob: old scheme (SHA-512 of the body)",
            &["--secret-env", BITNOB, "--legacy"],
            ok,
        ),
        bitnob(
            "Bitnob: timestamp 10 minutes old",
            &["--secret-env", BITNOB, "--age", "600"],
            (401, Some("timestamp_out_of_tolerance")),
        ),
        bitnob(
            "Bitnob: tampered body",
            &["--secret-env", BITNOB, "--tamper"],
            mismatch,
        ),
        bitnob(
            "Bitnob: signed with Bullseye's secret",
            &["--secret-env", CURRENT],
            mismatch,
        ),
        bitnob(
            "Bitnob: unsigned",
            &["--secret-env", BITNOB, "--unsigned"],
            (400, Some("missing_signature")),
        ),
        bitnob(
            "Bitnob: X-Bitnob-Event disagrees with the body",
            &["--secret-env", BITNOB, "--event", "transfer.success"],
            (400, Some("invalid_payload")),
        ),
    ])
}

/// One delivery to one receiver: `bullseye-webhooks send --json`, whose one
/// line of output has the receiver's status and body.
fn send(cli: &Path, base_url: &str, delivery: &Delivery) -> Result<Answer, String> {
    let url = format!("{base_url}{}", delivery.route);
    let child = spawn_cli(cli, &url, &delivery.args, delivery.stdin.as_deref())?;
    let (status, json) = match finish_cli(child)?.as_slice() {
        [one] => one.clone(),
        other => {
            return Err(format!(
                "send --json printed {} answers, not 1",
                other.len()
            ));
        }
    };
    let field = |key: &str| json.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let error = field("error");
    let event_type = field("event_type");
    let company_size = json.get("company_size").and_then(serde_json::Value::as_i64);
    let mismatches: Vec<String> = json
        .get("mismatches")
        .and_then(|m| m.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let summary = match &error {
        Some(code) => code.clone(),
        None => {
            let mut parts: Vec<String> = ["event_type", "email", "company_domain", "visit_id"]
                .iter()
                .filter_map(|key| field(key))
                .collect();
            if let Some(size) = company_size {
                parts.push(format!("size={size}"));
            }
            if !mismatches.is_empty() {
                parts.push(format!("mismatches=[{}]", mismatches.join(",")));
            }
            parts.join(" ")
        }
    };
    Ok(Answer {
        status,
        summary,
        error,
        event_type,
        company_size,
        mismatches,
    })
}

/// Start `bullseye-webhooks send --json --url URL ARGS...`, writing `stdin`
/// to it when given (the body is then `-` in `args`).
fn spawn_cli<S: AsRef<std::ffi::OsStr>>(
    cli: &Path,
    url: &str,
    args: &[S],
    stdin: Option<&[u8]>,
) -> Result<Child, String> {
    let mut child = Command::new(cli)
        .args(["send", "--json", "--url", url])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
    if let (Some(body), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // If the CLI exits early, its stderr says why (see finish_cli).
        let _ = pipe.write_all(body);
    }
    Ok(child)
}

/// Wait for `send --json` and read its lines: each delivery's status and
/// body (the body as JSON, `null` when it is not JSON).
fn finish_cli(child: Child) -> Result<Vec<(u16, serde_json::Value)>, String> {
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "({}) {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let line: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("unreadable output of send --json: {e}"))?;
            let status = line
                .get("status")
                .and_then(serde_json::Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or("send --json printed no status")?;
            let body = line
                .get("body")
                .and_then(|b| b.as_str())
                .unwrap_or_default();
            Ok((
                status,
                serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
            ))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// De-duplication rows, on POST /bullseye-once
// ---------------------------------------------------------------------------

/// A de-duplication check: several requests to one receiver, checked
/// together.
#[derive(Clone, Copy)]
enum Once {
    /// The same signed delivery sent twice, one after the other.
    Duplicate,
    /// A copy sent while the first is still being handled.
    InFlight,
}

/// How long the first copy's handler takes in the in-flight row
/// (`?slow_ms=`, demo only): ample time to send the second copy.
const SLOW_MS: u64 = 1500;

impl Once {
    fn name(self) -> &'static str {
        match self {
            Once::Duplicate => "once: same delivery twice (duplicate)",
            Once::InFlight => "once: copy while the first runs (in flight)",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Once::Duplicate => "200, then 200 duplicate; 1 handler call",
            Once::InFlight => "409 + Retry-After, first 200; 1 handler call",
        }
    }

    /// Each row has a delivery of its own (a `session_id` of its own), so
    /// its delivery key is new to every receiver; the key is written here
    /// as the core's README defines it, not computed by the code under test.
    fn delivery(self) -> (&'static str, &'static str) {
        match self {
            Once::Duplicate => (
                r#"{"event":"visitor.identified","organization_id":"org_demo","session_id":"demo-once-duplicate","visitor":{"email":"jane@example.com"}}"#,
                "bullseye:org_demo:visitor.identified:demo-once-duplicate",
            ),
            Once::InFlight => (
                r#"{"event":"visitor.identified","organization_id":"org_demo","session_id":"demo-once-in-flight","visitor":{"email":"jane@example.com"}}"#,
                "bullseye:org_demo:visitor.identified:demo-once-in-flight",
            ),
        }
    }

    /// Run the check against the receiver at `base_url`: `Ok` with the
    /// cell's text when every answer is as expected, else `Err` saying what
    /// was not.
    fn run(self, cli: &Path, base_url: &str, secret: &str) -> Result<String, String> {
        let (body, key) = self.delivery();
        let url = format!("{base_url}/bullseye-once");
        let args = ["--secret-env", CURRENT, "-"];
        match self {
            Once::Duplicate => {
                let child = spawn_cli(
                    cli,
                    &url,
                    &[&args[..], &["--repeat", "2"]].concat(),
                    Some(body.as_bytes()),
                )?;
                let answers = finish_cli(child)?;
                let [first, second] = answers.as_slice() else {
                    return Err(format!("{} answers to --repeat 2", answers.len()));
                };
                let first = handled_once(first, key)?;
                if *second != (200, serde_json::json!({ "duplicate": true })) {
                    return Err(format!(
                        "{first}; then {} {} (not 200 {{\"duplicate\":true}})",
                        second.0, second.1
                    ));
                }
                let calls = handler_calls(base_url, key)?;
                if calls != 1 {
                    return Err(format!("{first}; 200 duplicate; but {calls} handler calls"));
                }
                Ok(format!("{first}; 200 duplicate; calls={calls}"))
            }
            Once::InFlight => {
                let slow = format!("{url}?slow_ms={SLOW_MS}");
                let mut first = spawn_cli(cli, &slow, &args, Some(body.as_bytes()))?;
                // Wait until the receiver's handler runs the first copy
                // (so it holds the claim), then send the same bytes again.
                let started = Instant::now();
                loop {
                    if handler_calls(base_url, key)? >= 1 {
                        break;
                    }
                    let exited = first.try_wait().map_err(|e| e.to_string())?.is_some();
                    if exited || started.elapsed() > Duration::from_secs(10) {
                        let _ = first.kill();
                        let answers = finish_cli(first).unwrap_or_default();
                        return Err(format!(
                            "the handler was not seen running the first copy (its answers: {answers:?})"
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let signature = sign(secret, body.as_bytes());
                let copy = http(
                    base_url,
                    "POST",
                    "/bullseye-once",
                    &[
                        (SIGNATURE_HEADER, &signature),
                        ("Content-Type", "application/json"),
                    ],
                    body.as_bytes(),
                );
                let answers = finish_cli(first)?;
                let copy = copy?;
                let retry_after = copy
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let error = copy
                    .json()
                    .get("error")
                    .and_then(|e| e.as_str())
                    .map(str::to_owned);
                let copy_ok = copy.status == 409
                    && error.as_deref() == Some("delivery_in_flight")
                    && retry_after.is_some_and(|s| (1..=60).contains(&s));
                let copy_text = format!(
                    "{} {} Retry-After={}",
                    copy.status,
                    error.as_deref().unwrap_or("-"),
                    retry_after.map_or("none".to_owned(), |s| s.to_string())
                );
                let [first] = answers.as_slice() else {
                    return Err(format!(
                        "{copy_text}; the first copy got {} answers",
                        answers.len()
                    ));
                };
                let first = handled_once(first, key).map_err(|e| format!("{copy_text}; {e}"))?;
                let calls = handler_calls(base_url, key)?;
                let text = format!("{copy_text}; first {first}; calls={calls}");
                if copy_ok && calls == 1 {
                    Ok(text)
                } else {
                    Err(text)
                }
            }
        }
    }
}

/// The first copy's answer: 200 from the handler, for `key`, its first call.
fn handled_once((status, json): &(u16, serde_json::Value), key: &str) -> Result<String, String> {
    let answered_key = json.get("delivery_key").and_then(|k| k.as_str());
    let handled = json.get("handled").and_then(serde_json::Value::as_u64);
    if *status == 200 && answered_key == Some(key) && handled == Some(1) {
        Ok("200 handled=1".to_owned())
    } else {
        Err(format!(
            "first copy: {status} {json} (not 200 handled=1 for {key})"
        ))
    }
}

/// `GET /handled?key=KEY`: how many times the receiver's handler ran for it.
fn handler_calls(base_url: &str, key: &str) -> Result<u64, String> {
    let reply = http(
        base_url,
        "GET",
        &format!("/handled?key={}", query_escape(key)),
        &[],
        b"",
    )?;
    let json = reply.json();
    match (
        reply.status,
        json.get("handled").and_then(serde_json::Value::as_u64),
    ) {
        (200, Some(calls)) => Ok(calls),
        (status, _) => Err(format!("GET /handled: {status} {json}")),
    }
}

/// `text` for a query string: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX`.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An HTTP answer, as the sender's own small client read it.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One HTTP/1.1 request on a connection of its own (`Connection: close`),
/// for what the CLI does not show: a `GET`, and an answer's headers
/// (`Retry-After`). `base_url` is `http://HOST:PORT`.
fn http(
    base_url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, String> {
    const TIMEOUT: Duration = Duration::from_secs(10);
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base_url}: not http://"))?;
    let address = host
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| format!("{host}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut raw = request.into_bytes();
    raw.extend_from_slice(body);
    stream
        .write_all(&raw)
        .map_err(|e| format!("{method} {path}: {e}"))?;
    // Read until the connection closes, or until the body its
    // Content-Length announces is complete: a server may keep the
    // connection open despite `Connection: close` (workerd does).
    let mut answer = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let n = stream
            .read(&mut buffer)
            .map_err(|e| format!("{method} {path}: {e}"))?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(buffer.get(..n).unwrap_or_default());
        if complete(&answer) {
            break;
        }
    }
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no complete answer"))?;
    let head = String::from_utf8_lossy(answer.get(..end).unwrap_or_default()).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: answer.get(end + 4..).unwrap_or_default().to_vec(),
    };
    if reply
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(&reply.body).ok_or_else(|| format!("{method} {path}: bad chunks"))?;
    } else if let Some(length) = reply.header("content-length").and_then(|l| l.parse().ok()) {
        reply.body.truncate(length);
    }
    Ok(reply)
}

/// Whether `answer` holds a head with a Content-Length and that many bytes
/// of body after it.
fn complete(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(answer.get(..end).unwrap_or_default());
    head.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .is_some_and(|length| answer.len() >= end + 4 + length)
}

/// A chunked body's bytes.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(rest.get(..line_end)?).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = rest.get(line_end + 2..)?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
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
