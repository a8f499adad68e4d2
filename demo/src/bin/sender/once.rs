//! The de-duplication rows, on `POST /bullseye-once`: how often each
//! receiver's handler ran is read from `GET /handled?key=`.

use std::path::Path;
use std::time::{Duration, Instant};

use bullseye_webhooks::{SIGNATURE_HEADER, sign};
use serde_json::Value;

use crate::table::{OnceCheck, OnceKind};
use crate::{finish_cli, spawn_cli};

/// How long the first copy's handler takes in the in-flight row
/// (`?slow_ms=`, demo only): ample time to send the second copy.
const SLOW_MS: u64 = 1500;

/// How long any one request, or the wait for the handler to start, may take.
const TIMEOUT: Duration = Duration::from_secs(10);

impl OnceKind {
    /// The table's "expected" column.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            OnceKind::Duplicate => "200, then 200 duplicate; 1 handler call",
            OnceKind::InFlight => "409 + Retry-After, first 200; 1 handler call",
        }
    }
}

/// The HTTP client for what the CLI does not show: a `GET`, and an
/// answer's headers (`Retry-After`). Every status is an answer to read,
/// not an error.
pub(crate) fn http_client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .build()
        .new_agent()
}

impl OnceCheck {
    /// Run the check against the receiver at `base_url`: `Ok` with the
    /// cell's text when every answer is as expected, else `Err` saying what
    /// was not.
    pub(crate) fn run(
        &self,
        cli: &Path,
        http: &ureq::Agent,
        base_url: &str,
    ) -> Result<String, String> {
        match self.check {
            OnceKind::Duplicate => self.duplicate(cli, http, base_url),
            OnceKind::InFlight => self.in_flight(cli, http, base_url),
        }
    }

    fn send_args(&self) -> [&str; 3] {
        ["--secret-env", &self.secret, "-"]
    }

    fn duplicate(&self, cli: &Path, http: &ureq::Agent, base_url: &str) -> Result<String, String> {
        let url = format!("{base_url}{}", self.route);
        let args = [&self.send_args()[..], &["--repeat", "2"]].concat();
        let child = spawn_cli(cli, &url, &args, Some(self.body.as_bytes()))?;
        let answers = finish_cli(child)?;
        let [first, second] = answers.as_slice() else {
            return Err(format!("{} answers to --repeat 2", answers.len()));
        };
        let first = handled_once(first, &self.key)?;
        if *second != (200, serde_json::json!({ "duplicate": true })) {
            return Err(format!(
                "{first}; then {} {} (not 200 {{\"duplicate\":true}})",
                second.0, second.1
            ));
        }
        let calls = handler_calls(http, base_url, &self.key)?;
        if calls != 1 {
            return Err(format!("{first}; 200 duplicate; but {calls} handler calls"));
        }
        Ok(format!("{first}; 200 duplicate; calls={calls}"))
    }

    fn in_flight(&self, cli: &Path, http: &ureq::Agent, base_url: &str) -> Result<String, String> {
        let url = format!("{base_url}{}", self.route);
        let slow = format!("{url}?slow_ms={SLOW_MS}");
        let mut first = spawn_cli(cli, &slow, &self.send_args(), Some(self.body.as_bytes()))?;
        // Wait until the receiver's handler runs the first copy (so it holds
        // the claim), then send the same bytes again.
        let started = Instant::now();
        while handler_calls(http, base_url, &self.key)? < 1 {
            let exited = first.try_wait().map_err(|e| e.to_string())?.is_some();
            if exited || started.elapsed() > TIMEOUT {
                let _ = first.kill();
                let answers = finish_cli(first).unwrap_or_default();
                return Err(format!(
                    "the handler was not seen running the first copy (its answers: {answers:?})"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The copy is sent with the HTTP client: `send --json` does not
        // print the answer's headers, and the row checks `Retry-After`.
        let secret =
            std::env::var(&self.secret).map_err(|_| format!("{} is not set", self.secret))?;
        let copy = http
            .post(&url)
            .header(SIGNATURE_HEADER, sign(&secret, self.body.as_bytes()))
            .header("Content-Type", "application/json")
            .send(self.body.as_bytes());
        let answers = finish_cli(first)?;
        let mut copy = copy.map_err(|e| format!("POST {}: {e}", self.route))?;
        let retry_after = copy
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let status = copy.status().as_u16();
        let json = json_body(&mut copy);
        let error = json.get("error").and_then(Value::as_str);
        let copy_ok = status == 409
            && error == Some("delivery_in_flight")
            && retry_after.is_some_and(|s| (1..=60).contains(&s));
        let copy_text = format!(
            "{status} {} Retry-After={}",
            error.unwrap_or("-"),
            retry_after.map_or("none".to_owned(), |s| s.to_string())
        );
        let [first] = answers.as_slice() else {
            return Err(format!(
                "{copy_text}; the first copy got {} answers",
                answers.len()
            ));
        };
        let first = handled_once(first, &self.key).map_err(|e| format!("{copy_text}; {e}"))?;
        let calls = handler_calls(http, base_url, &self.key)?;
        let text = format!("{copy_text}; first {first}; calls={calls}");
        if copy_ok && calls == 1 {
            Ok(text)
        } else {
            Err(text)
        }
    }
}

/// The first copy's answer: 200 from the handler, for `key`, its first call.
fn handled_once((status, json): &(u16, Value), key: &str) -> Result<String, String> {
    let answered_key = json.get("delivery_key").and_then(Value::as_str);
    let handled = json.get("handled").and_then(Value::as_u64);
    if *status == 200 && answered_key == Some(key) && handled == Some(1) {
        Ok("200 handled=1".to_owned())
    } else {
        Err(format!(
            "first copy: {status} {json} (not 200 handled=1 for {key})"
        ))
    }
}

/// `GET /handled?key=KEY`: how many times the receiver's handler ran for it.
fn handler_calls(http: &ureq::Agent, base_url: &str, key: &str) -> Result<u64, String> {
    let mut reply = http
        .get(format!("{base_url}/handled"))
        .query("key", key)
        .call()
        .map_err(|e| format!("GET /handled: {e}"))?;
    let status = reply.status().as_u16();
    let json = json_body(&mut reply);
    match (status, json.get("handled").and_then(Value::as_u64)) {
        (200, Some(calls)) => Ok(calls),
        (status, _) => Err(format!("GET /handled: {status} {json}")),
    }
}

/// An answer's body as JSON; `null` when it is not JSON.
fn json_body(reply: &mut ureq::http::Response<ureq::Body>) -> Value {
    reply
        .body_mut()
        .read_to_string()
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}
