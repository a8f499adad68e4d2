//! The client's rules at the edges, kept apart from the transport so that
//! `fixtures/partner-behaviour.json` can check them the same way as the
//! Python and JS clients: reading `Retry-After`, when to retry and how long
//! to wait, and what of a failed answer goes into the error.
//!
//! Public only for those tests (`bullseye_webhooks_partner::internal`): not
//! part of the crate's API.

use std::time::{Duration, SystemTime};

use serde_json::Value;

/// The longest response body read (the logs page is the largest answer).
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// How many characters (code points) of a server's message go into an error.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// The longest delay-seconds read; larger ones saturate here (they are far
/// over any wait the client accepts anyway).
const MAX_DELAY_SECONDS: u64 = u32::MAX as u64;

/// What stands in for a secret in an error.
const REDACTED: &str = "[REDACTED]";

/// When and how often a call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, backoff from 500 ms up to 8 s, `Retry-After` up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next try, or `None` to give up and report the
    /// answer: after an answer with `status` (`None`: no answer at all) and
    /// a `Retry-After` of `retry_after`, to an `idempotent` call or not,
    /// with `retries` retries already made. 429 and 5xx are retried, and no
    /// answer for idempotent calls only (the test POST may have been sent).
    /// A `Retry-After` over `max_retry_after` is not waited for.
    pub fn wait(
        &self,
        status: Option<u16>,
        retry_after: Option<Duration>,
        retries: u32,
        idempotent: bool,
    ) -> Option<Duration> {
        if retries >= self.max_retries {
            return None;
        }
        match status {
            None if idempotent => Some(self.backoff(retries)),
            None => None,
            Some(status) if status == 429 || (500..600).contains(&status) => match retry_after {
                Some(wait) if wait > self.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(self.backoff(retries)),
            },
            Some(_) => None,
        }
    }

    /// A random wait within [`backoff_bounds`] for retry number `retries`.
    fn backoff(&self, retries: u32) -> Duration {
        let (least, most) = backoff_bounds(self.initial_backoff, self.max_backoff, retries);
        let mut random = [0u8; 4];
        // Without randomness, wait the longest: still bounded and correct.
        let fraction = match getrandom::fill(&mut random) {
            Ok(()) => f64::from(u32::from_le_bytes(random)) / f64::from(u32::MAX),
            Err(_) => 1.0,
        };
        least + (most - least).mul_f64(fraction)
    }
}

/// The range of the backoff before retry number `retries` (0-based):
/// `full = min(initial * 2^retries, max)`, drawn between `full / 2` and `full`.
pub fn backoff_bounds(initial: Duration, max: Duration, retries: u32) -> (Duration, Duration) {
    let full = initial
        .saturating_mul(2u32.saturating_pow(retries))
        .min(max);
    (full / 2, full)
}

/// `Retry-After` at `now`: delay-seconds (ASCII digits), or an HTTP date in
/// one of RFC 9110's three formats (a date already past is no wait).
/// `None` for anything else.
pub fn retry_after_delay(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds.min(MAX_DELAY_SECONDS)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The error message for a non-2xx answer's `body`: its JSON `message`, else
/// `error` (a string, or an object with a `message`), else the body as
/// trimmed text; scrubbed of `secrets`, then cut by [`truncate_message`].
pub fn server_message(body: &[u8], secrets: &[&str]) -> String {
    let message = json_message(body).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        text.trim().to_owned()
    });
    truncate_message(&scrub(&message, secrets))
}

fn json_message(body: &[u8]) -> Option<String> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    match (map.get("message"), map.get("error")) {
        (Some(Value::String(message)), _) => Some(message.clone()),
        (_, Some(Value::String(error))) => Some(error.clone()),
        (_, Some(Value::Object(error))) => error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// `text` cut to its first [`MAX_MESSAGE_CHARS`] characters and `...` when
/// longer.
pub fn truncate_message(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or(text)),
        None => text.to_owned(),
    }
}

/// `text` with every occurrence of each non-empty secret replaced by
/// `[REDACTED]`.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    out
}
