//! The demo's sender: sends every delivery to every receiver given as
//! `--receiver NAME=URL` by running the CLI, `bullseye-webhooks send --json`
//! (given as `--cli PATH`), and prints one table, a column per receiver.
//! Exits 1 when any receiver's answer differs from the expected one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use bullseye_webhooks::{VISIT_SIGNATURE_HEADER, sign};

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
}

/// What one receiver answered.
struct Answer {
    status: u16,
    summary: String,
    error: Option<String>,
    company_size: Option<i64>,
    mismatches: Vec<String>,
}

impl Answer {
    fn is(&self, delivery: &Delivery) -> bool {
        self.status == delivery.expected_status
            && self.error.as_deref() == delivery.expected_error
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
    if std::env::var_os("DEMO_PREVIOUS_SECRET").is_none() {
        return Err("DEMO_PREVIOUS_SECRET is not set".to_owned());
    }
    let deliveries = deliveries(&fixtures, &secret)?;

    let mut rows = vec![{
        let mut header = vec!["delivery".to_owned(), "expected".to_owned()];
        header.extend(receivers.iter().map(|(name, _)| name.clone()));
        header
    }];
    let (mut passed, mut failed) = (0usize, 0usize);
    for delivery in &deliveries {
        let expected = match (delivery.expected_error, delivery.expected_typed) {
            (Some(code), _) => format!("{} {code}", delivery.expected_status),
            (None, Some((size, paths))) => format!(
                "{} size={} mismatches=[{}]",
                delivery.expected_status,
                size.map_or("null".to_owned(), |s| s.to_string()),
                paths.join(",")
            ),
            (None, None) => delivery.expected_status.to_string(),
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
        "\n{} deliveries x {} receivers: {}",
        deliveries.len(),
        receivers.len(),
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

    const CURRENT: &str = "DEMO_SECRET";
    const PREVIOUS: &str = "DEMO_PREVIOUS_SECRET";
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
    ])
}

/// One delivery to one receiver: `bullseye-webhooks send --json`, whose one
/// line of output has the receiver's status and body.
fn send(cli: &Path, base_url: &str, delivery: &Delivery) -> Result<Answer, String> {
    let mut child = Command::new(cli)
        .args(["send", "--json", "--url"])
        .arg(format!("{base_url}{}", delivery.route))
        .args(&delivery.args)
        .stdin(if delivery.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
    if let (Some(body), Some(mut stdin)) = (&delivery.stdin, child.stdin.take()) {
        // If the CLI exits early, its stderr below says why.
        let _ = stdin.write_all(body);
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "({}) {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let line: serde_json::Value = serde_json::from_slice(&output.stdout)
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
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let field = |key: &str| json.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let error = field("error");
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
        company_size,
        mismatches,
    })
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
