//! `send`: POST a signed, or deliberately broken, delivery to a receiver.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use bullseye_webhooks::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, SIGNATURE_HEADER,
    VISIT_SIGNATURE_HEADER, sign, sign_bitnob, sign_bitnob_legacy,
};

use crate::args::{ExampleKind, Scheme, SendArgs};
use crate::client::{Client, Response};
use crate::{Failure, example, header_value_ok, read_input, unix_now};

/// With more deliveries than this, answers are summed up rather than
/// printed one by one, and a progress line goes to stderr.
const PROGRESS_ABOVE: u32 = 20;

/// The key `--wrong-secret` signs with: a fixed value, so that what it
/// sends never depends on the real secret.
const WRONG_SECRET: &str = "whsec_bullseye_webhooks_cli_wrong_secret";

/// What goes in the signature header.
enum Signing {
    Signed,
    Tampered,
    Unsigned,
    WrongSecret,
    Given,
    StaticToken,
}

impl Signing {
    fn describe(&self) -> &'static str {
        match self {
            Signing::Signed => "signed",
            Signing::Tampered => "signed, then the body tampered with",
            Signing::Unsigned => "no signature",
            Signing::WrongSecret => "signed with a wrong secret",
            Signing::Given => "the given value",
            Signing::StaticToken => "the secret as a static token",
        }
    }
}

/// One delivery's answer and how long it took.
struct Attempt {
    response: Response,
    elapsed: Duration,
}

/// What a Bitnob delivery signs and sends besides its signature.
struct BitnobSigning {
    /// `X-Bitnob-Timestamp`, or none for the legacy scheme.
    timestamp: Option<String>,
    /// `X-Bitnob-Event`, when known.
    event: Option<String>,
}

impl BitnobSigning {
    fn new(args: &SendArgs, body: &[u8]) -> Result<Self, Failure> {
        let timestamp = match (&args.timestamp, args.age, args.legacy) {
            (_, _, true) => None,
            (Some(text), _, _) => Some(text.clone()),
            (None, Some(age), _) => Some(unix_now().saturating_sub(age).to_string()),
            (None, None, _) => Some(unix_now().to_string()),
        };
        // Bitnob names the event in a header; the sample bodies name it too.
        let event = args.event.clone().or_else(|| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|body| body.get("event")?.as_str().map(str::to_owned))
        });
        for value in timestamp.iter().chain(&event) {
            header_value_ok(value)?;
        }
        Ok(Self { timestamp, event })
    }

    fn sign(&self, secret: &[u8], body: &[u8]) -> String {
        match &self.timestamp {
            Some(timestamp) => sign_bitnob(secret, timestamp, body),
            None => sign_bitnob_legacy(secret, body),
        }
    }
}

pub(crate) fn run(args: &SendArgs) -> Result<(), Failure> {
    let client = Client::new(
        &args.url,
        args.ca_cert.as_deref(),
        Duration::from_secs(args.timeout),
    )?;
    let scheme = args.scheme.unwrap_or(match args.example {
        Some(ExampleKind::Bitnob) => Scheme::Bitnob,
        _ => Scheme::Bullseye,
    });
    if scheme == Scheme::Bullseye
        && (args.timestamp.is_some() || args.age.is_some() || args.event.is_some() || args.legacy)
    {
        return Err(Failure::Usage(
            "--timestamp, --age, --event and --legacy are for --scheme bitnob".to_owned(),
        ));
    }
    if scheme == Scheme::Bitnob && args.static_token {
        return Err(Failure::Usage(
            "--static-token is fingerprinting-api's mode, not Bitnob's".to_owned(),
        ));
    }
    let header = match (&args.header, args.example, scheme) {
        (Some(name), _, _) => name.as_str(),
        (None, _, Scheme::Bitnob) => BITNOB_SIGNATURE_HEADER,
        (None, Some(ExampleKind::Visit), _) => VISIT_SIGNATURE_HEADER,
        (None, _, _) => SIGNATURE_HEADER,
    };
    if header.is_empty() || !header.bytes().all(is_token_byte) {
        return Err(Failure::Usage(format!(
            "--header {header:?} is not a valid header name"
        )));
    }
    let signing = if args.tamper {
        Signing::Tampered
    } else if args.unsigned {
        Signing::Unsigned
    } else if args.wrong_secret {
        Signing::WrongSecret
    } else if args.signature.is_some() {
        Signing::Given
    } else if args.static_token {
        Signing::StaticToken
    } else {
        Signing::Signed
    };
    // Only the modes that sign with the configured secret, or send it, read it.
    let secret = match signing {
        Signing::Signed | Signing::Tampered | Signing::StaticToken => args.secrets.one(scheme)?,
        Signing::Unsigned | Signing::WrongSecret | Signing::Given => Vec::new(),
    };
    let mut body = match (&args.input, args.example) {
        (Some(path), _) => read_input(path)?,
        (None, Some(kind)) => example(kind).as_bytes().to_vec(),
        (None, None) => return Err(Failure::Usage("give FILE, `-` or --example".to_owned())),
    };
    let bitnob = match scheme {
        Scheme::Bitnob => Some(BitnobSigning::new(args, &body)?),
        Scheme::Bullseye => None,
    };
    let signed = |secret: &[u8], body: &[u8]| match &bitnob {
        Some(bitnob) => bitnob.sign(secret, body),
        None => sign(secret, body),
    };
    let value = match signing {
        Signing::Signed => Some(signed(&secret, &body)),
        Signing::Tampered => {
            let signature = signed(&secret, &body);
            tamper(&mut body);
            Some(signature)
        }
        Signing::Unsigned => None,
        Signing::WrongSecret => Some(signed(WRONG_SECRET.as_bytes(), &body)),
        Signing::Given => args.signature.clone(),
        Signing::StaticToken => Some(String::from_utf8(secret).map_err(|_| {
            Failure::Usage("the secret is not UTF-8, so it cannot be sent as a token".to_owned())
        })?),
    };
    if value
        .as_deref()
        .is_some_and(|v| v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0))
    {
        return Err(Failure::Usage(
            "the signature header value contains a line break or NUL".to_owned(),
        ));
    }
    let mut headers: Vec<(&str, &str)> = value.iter().map(|v| (header, v.as_str())).collect();
    let mut signed_at = String::new();
    if let Some(bitnob) = &bitnob {
        if let Some(timestamp) = &bitnob.timestamp {
            headers.push((BITNOB_TIMESTAMP_HEADER, timestamp));
            signed_at = format!(" (X-Bitnob-Timestamp: {timestamp})");
        } else {
            signed_at = " (legacy HMAC-SHA512, no timestamp)".to_owned();
        }
        if let Some(event) = &bitnob.event {
            headers.push((BITNOB_EVENT_HEADER, event));
        }
    }

    let total = args.repeat;
    let one_by_one = total <= PROGRESS_ABOVE;
    if !args.json {
        print(&format!(
            "POST {}: {} bytes, {header}: {}{signed_at}{}",
            args.url,
            body.len(),
            signing.describe(),
            if total > 1 {
                format!(", {total} times")
            } else {
                String::new()
            }
        ));
    }
    let mut progress = Progress::new(total, !one_by_one);
    let mut attempts = Vec::new();
    for n in 1..=total {
        let started = Instant::now();
        let response = client.post(&headers, &body).map_err(|why| {
            progress.finish();
            Failure::Network(if total > 1 {
                format!("delivery {n} of {total}: {why}")
            } else {
                why
            })
        })?;
        let attempt = Attempt {
            response,
            elapsed: started.elapsed(),
        };
        if args.json {
            print(&json_line(n, &attempt));
        } else if one_by_one {
            let counter = if total > 1 {
                format!("[{n}/{total}] ")
            } else {
                String::new()
            };
            print(&format!(
                "{counter}{} in {}\n{}",
                status_text(&attempt.response),
                millis(attempt.elapsed),
                body_text(&attempt.response.body)
            ));
        }
        progress.step(n);
        attempts.push(attempt);
    }
    progress.finish();
    if !args.json && total > 1 {
        print(&summary(&attempts));
    }
    if let Some(expected) = args.expect_status {
        let wrong = attempts
            .iter()
            .filter(|a| a.response.status != expected)
            .count();
        if wrong > 0 {
            eprintln!(
                "bullseye-webhooks: expected status {expected}, got another in {wrong} of {total} deliveries"
            );
            return Err(Failure::Refused);
        }
    }
    Ok(())
}

/// A header name is an RFC 9110 token.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Change one character: the last digit, else the last ASCII letter, else
/// append a space. Any change breaks the signature.
fn tamper(body: &mut Vec<u8>) {
    if let Some(byte) = body.iter_mut().rev().find(|b| b.is_ascii_digit()) {
        *byte = if *byte == b'9' { b'0' } else { *byte + 1 };
    } else if let Some(byte) = body.iter_mut().rev().find(|b| b.is_ascii_alphabetic()) {
        *byte ^= 0x20;
    } else {
        body.push(b' ');
    }
}

fn print(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
}

fn millis(elapsed: Duration) -> String {
    format!("{:.1} ms", elapsed.as_secs_f64() * 1000.0)
}

fn status_text(response: &Response) -> String {
    if response.reason.is_empty() {
        response.status.to_string()
    } else {
        format!("{} {}", response.status, response.reason)
    }
}

fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        text.to_owned()
    }
}

fn json_line(n: u32, attempt: &Attempt) -> String {
    serde_json::json!({
        "attempt": n,
        "status": attempt.response.status,
        "reason": attempt.response.reason,
        "body": String::from_utf8_lossy(&attempt.response.body),
        "time_ms": (attempt.elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
    })
    .to_string()
}

/// Timings, then each distinct answer with how many times it came, in the
/// order first seen: a de-duplicating receiver shows as two lines.
fn summary(attempts: &[Attempt]) -> String {
    let times: Vec<Duration> = attempts.iter().map(|a| a.elapsed).collect();
    let min = times.iter().min().copied().unwrap_or_default();
    let max = times.iter().max().copied().unwrap_or_default();
    let count = u32::try_from(times.len()).unwrap_or(u32::MAX).max(1);
    let mean = times.iter().sum::<Duration>() / count;
    let mut answers: Vec<(&Response, usize)> = Vec::new();
    for attempt in attempts {
        match answers.iter_mut().find(|(r, _)| **r == attempt.response) {
            Some((_, n)) => *n += 1,
            None => answers.push((&attempt.response, 1)),
        }
    }
    let mut out = format!(
        "{} deliveries: {} min, {} mean, {} max",
        attempts.len(),
        millis(min),
        millis(mean),
        millis(max)
    );
    for (response, n) in answers {
        out.push_str(&format!(
            "\n  {n} x {}  {}",
            status_text(response),
            body_text(&response.body)
        ));
    }
    out
}

/// The progress line on stderr: redrawn in place on a terminal, one line
/// every tenth of the way otherwise (logs, CI).
struct Progress {
    total: u32,
    active: bool,
    terminal: bool,
}

impl Progress {
    fn new(total: u32, active: bool) -> Self {
        Self {
            total,
            active,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn step(&mut self, n: u32) {
        if !self.active {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(stderr, "\rsent {n}/{}", self.total);
            let _ = stderr.flush();
        } else if n == self.total || n % (self.total / 10).max(1) == 0 {
            let _ = writeln!(stderr, "sent {n}/{}", self.total);
        }
    }

    fn finish(&mut self) {
        if self.active && self.terminal {
            let _ = writeln!(std::io::stderr());
        }
        self.active = false;
    }
}

#[cfg(test)]
mod tests {
    use super::tamper;

    #[test]
    fn tamper_changes_one_character() {
        let mut body = b"{\"a\":19,\"b\":\"x\"}".to_vec();
        tamper(&mut body);
        assert_eq!(body, b"{\"a\":10,\"b\":\"x\"}");
        let mut body = b"{\"a\":\"x\"}".to_vec();
        tamper(&mut body);
        assert_eq!(body, b"{\"a\":\"X\"}");
        let mut body = b"{}".to_vec();
        tamper(&mut body);
        assert_eq!(body, b"{} ");
    }
}
