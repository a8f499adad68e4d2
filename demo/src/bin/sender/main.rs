//! The demo's sender: sends every delivery of the table (`--table`,
//! `demo/deliveries.json`) to every receiver given as `--receiver NAME=URL`
//! by running the CLI, `bullseye-webhooks send --json` (given as `--cli
//! PATH`), and prints one table, a column per receiver. Exits 1 when any
//! receiver's answer differs from the expected one.
//!
//! The table's `once` rows check de-duplication on `POST /bullseye-once`
//! (the same signed delivery sent twice; a copy sent while the first is
//! still being handled).

mod once;
mod table;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

use clap::Parser;
use serde_json::Value;

use table::{Expect, Request, Table};

/// Send the demo's deliveries to every receiver and print one table.
#[derive(Parser)]
struct Args {
    /// A receiver to send every delivery to (repeatable)
    #[arg(long = "receiver", value_name = "NAME=URL", required = true, value_parser = receiver)]
    receivers: Vec<Receiver>,
    /// The bullseye-webhooks binary, whose `send` makes each delivery
    #[arg(long, value_name = "PATH")]
    cli: PathBuf,
    /// The table of deliveries and their expected answers
    #[arg(long, value_name = "FILE", default_value = "demo/deliveries.json")]
    table: PathBuf,
    /// The directory the table's fixture paths are under
    #[arg(long, value_name = "DIR", default_value = "fixtures")]
    fixtures: PathBuf,
    /// The directory holding each receiver's stderr as NAME.err, checked
    /// for the mismatches the table says are logged
    #[arg(long, value_name = "DIR")]
    logs: Option<PathBuf>,
}

#[derive(Clone)]
struct Receiver {
    name: String,
    url: String,
}

fn receiver(value: &str) -> Result<Receiver, String> {
    let (name, url) = value
        .split_once('=')
        .ok_or("expected NAME=URL, e.g. rust=http://127.0.0.1:8080")?;
    Ok(Receiver {
        name: name.to_owned(),
        url: url.trim_end_matches('/').to_owned(),
    })
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
    fn is(&self, expect: &Expect) -> bool {
        self.status == expect.status
            && self.error == expect.error
            && expect
                .event_type
                .as_ref()
                .is_none_or(|t| self.event_type.as_ref() == Some(t))
            && expect.typed.as_ref().is_none_or(|typed| {
                self.company_size == typed.company_size && self.mismatches == typed.mismatches
            })
    }
}

/// The checks counted so far: one answer of one receiver is one check.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    fn count(&mut self, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("demo sender: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let table = Table::read(&args.table)?;
    table.check_secrets()?;
    let http = once::http_client();
    let mut tally = Tally::default();
    let mut rows = vec![{
        let mut header = vec!["delivery".to_owned(), "expected".to_owned()];
        header.extend(args.receivers.iter().map(|r| r.name.clone()));
        header
    }];
    for delivery in &table.deliveries {
        let request = delivery.request(&args.fixtures)?;
        let mut row = vec![delivery.name.clone(), delivery.expect.to_string()];
        for receiver in &args.receivers {
            let url = format!("{}{}", receiver.url, delivery.route);
            row.push(match send(&args.cli, &url, &request) {
                Ok(answer) => {
                    let ok = answer.is(&delivery.expect);
                    tally.count(ok);
                    let flag = if ok { "" } else { "UNEXPECTED " };
                    format!("{flag}{} {}", answer.status, answer.summary)
                }
                Err(e) => {
                    tally.count(false);
                    format!("FAILED {e}")
                }
            });
        }
        rows.push(row);
    }
    for check in &table.once {
        let mut row = vec![check.name.clone(), check.check.expected().to_owned()];
        for receiver in &args.receivers {
            let result = check.run(&args.cli, &http, &receiver.url);
            tally.count(result.is_ok());
            row.push(result.unwrap_or_else(|e| format!("UNEXPECTED {e}")));
        }
        rows.push(row);
    }
    print_table(&rows);
    if let Some(logs) = &args.logs {
        check_logs(&table, &args.receivers, logs, &mut tally);
    }
    println!(
        "\n{} rows x {} receivers: {}",
        table.deliveries.len() + table.once.len(),
        args.receivers.len(),
        if tally.failed == 0 {
            "every answer as expected"
        } else {
            "SOME ANSWERS WERE WRONG"
        }
    );
    // The closing line CI reads: one answer of one receiver is one check.
    println!("demo: {} passed, {} failed", tally.passed, tally.failed);
    Ok(tally.failed == 0)
}

/// Each receiver logs what the table's `logged` texts describe (a drifted
/// field's path and types, never its value): one check per receiver and row.
fn check_logs(table: &Table, receivers: &[Receiver], logs: &Path, tally: &mut Tally) {
    for expect in table.deliveries.iter().map(|d| &d.expect) {
        if expect.logged.is_empty() {
            continue;
        }
        for receiver in receivers {
            let path = logs.join(format!("{}.err", receiver.name));
            let log = std::fs::read_to_string(path).unwrap_or_default();
            let line = log.lines().find(|line| {
                expect
                    .logged
                    .iter()
                    .all(|text| line.contains(text.as_str()))
            });
            tally.count(line.is_some());
            match line {
                Some(line) => println!("{} logged: {}", receiver.name, line.trim()),
                None => println!(
                    "{} did NOT log a line with {}",
                    receiver.name,
                    expect.logged.join(" and ")
                ),
            }
        }
    }
}

/// One delivery to one receiver: `bullseye-webhooks send --json`, whose one
/// line of output has the receiver's status and body.
fn send(cli: &Path, url: &str, request: &Request) -> Result<Answer, String> {
    let child = spawn_cli(cli, url, &request.args, request.stdin.as_deref())?;
    let (status, json) = match finish_cli(child)?.as_slice() {
        [one] => one.clone(),
        other => {
            return Err(format!(
                "send --json printed {} answers, not 1",
                other.len()
            ));
        }
    };
    let field = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    let error = field("error");
    let company_size = json.get("company_size").and_then(Value::as_i64);
    let mismatches: Vec<String> = json
        .get("mismatches")
        .and_then(Value::as_array)
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
        event_type: field("event_type"),
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
fn finish_cli(child: Child) -> Result<Vec<(u16, Value)>, String> {
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
            let line: Value = serde_json::from_str(line)
                .map_err(|e| format!("unreadable output of send --json: {e}"))?;
            let status = line
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or("send --json printed no status")?;
            let body = line.get("body").and_then(Value::as_str).unwrap_or_default();
            Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
        })
        .collect()
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
