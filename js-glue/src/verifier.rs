//! The core's two verifiers, built from what JavaScript passes and called
//! with its clock. Both packages take the same arguments: the secrets' bytes
//! end to end with their lengths (wiped here whatever happens), the options
//! by name (a tolerance in seconds, a body size limit, a flag),
//! milliseconds since the epoch for `now`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::{BitnobWebhook, Error, Webhook};
use zeroize::Zeroize;

use crate::{Answer, Failure, body_limit, clock, from_secrets, pairs, tolerance};

/// A `Webhook`'s options, as JavaScript names them (`{ tolerance,
/// maxBodyBytes, strict }`, checked there first).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WebhookOptions {
    /// The tolerance in seconds; unset: no time check.
    pub tolerance: Option<f64>,
    /// The body size limit in bytes; unset: the core's default.
    pub max_body_bytes: Option<f64>,
    /// Whether a field of another type is refused.
    pub strict: bool,
}

/// A `BitnobWebhook`'s options, as JavaScript names them (`{ tolerance,
/// legacySha512, maxBodyBytes }`, checked there first).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BitnobOptions {
    /// The replay window in seconds; unset: none (JavaScript passes the
    /// default window, 300 s, itself).
    pub tolerance: Option<f64>,
    /// Whether the legacy HMAC-SHA512 scheme is accepted.
    pub legacy_sha512: bool,
    /// The body size limit in bytes; unset: the core's default.
    pub max_body_bytes: Option<f64>,
}

/// A verifier's settings as the JSON text JavaScript reads once:
/// `{"maxBodyBytes": …, "tolerance": whole seconds or null,
/// "toleranceNanos": the rest in nanoseconds, "<flag>": …}`. (Whole
/// numbers only: formatting an `f64` would add its code to the `.wasm`;
/// JavaScript adds the two as `Duration::as_secs_f64` does.) Written with
/// `itoa`, not `format!`: `core::fmt` would otherwise be compiled on a
/// Worker's first request (bench/PROFILE.md, "Worker start").
fn settings_json(max_body_bytes: usize, window: Option<Duration>, flag: (&str, bool)) -> String {
    let (name, value) = flag;
    let mut numbers = itoa::Buffer::new();
    let mut json = String::with_capacity(96);
    json.push_str("{\"maxBodyBytes\":");
    json.push_str(numbers.format(max_body_bytes));
    json.push_str(",\"tolerance\":");
    match window {
        Some(window) => {
            json.push_str(numbers.format(window.as_secs()));
            json.push_str(",\"toleranceNanos\":");
            json.push_str(numbers.format(window.subsec_nanos()));
        }
        None => json.push_str("null"),
    }
    json.push_str(",\"");
    json.push_str(name);
    json.push_str("\":");
    json.push_str(if value { "true" } else { "false" });
    json.push('}');
    json
}

/// A `Webhook` built from what JavaScript passes.
#[derive(Debug)]
pub struct Verifier {
    webhook: Webhook,
}

impl Verifier {
    /// `secrets` holds every secret end to end, `lengths` their lengths; the
    /// bytes are wiped whatever happens.
    pub fn new(
        secrets: &mut [u8],
        lengths: &[u32],
        options: &WebhookOptions,
    ) -> Result<Self, Failure> {
        let webhook = from_secrets(secrets, lengths, |list| Webhook::with_secrets(list))?;
        let mut webhook = webhook.with_strict(options.strict);
        if let Some(seconds) = options.tolerance {
            webhook = webhook.with_tolerance(tolerance(seconds)?);
        }
        if let Some(limit) = options.max_body_bytes {
            webhook = webhook.with_max_body_bytes(body_limit(limit)?);
        }
        Ok(Self { webhook })
    }

    /// The settings as the core holds them: `{"maxBodyBytes", "tolerance"
    /// (seconds or null), "strict"}` as JSON text.
    pub fn settings_json(&self) -> String {
        let webhook = &self.webhook;
        let strict = ("strict", webhook.strict());
        settings_json(webhook.max_body_bytes(), webhook.tolerance(), strict)
    }

    /// Check a signature.
    pub fn verify(&self, body: &[u8], signature: &str) -> Result<(), Failure> {
        Ok(self.webhook.verify(body, signature)?)
    }

    /// Verify and check an event exactly as the core's construct_event
    /// would (its check_event, which builds no typed event), `now_ms` being
    /// the clock; with a bad clock, a refusal of the delivery itself wins
    /// over the clock's error.
    pub fn construct_event(
        &self,
        body: &[u8],
        signature: &str,
        now_ms: f64,
    ) -> Result<Answer, Failure> {
        let now = match clock(now_ms) {
            Ok(now) => now,
            Err(bad_clock) => {
                self.webhook.verify(body, signature)?;
                return Err(bad_clock);
            }
        };
        let checked = self.webhook.check_event_at(body, signature, now)?;
        Ok(Answer::event(checked, body))
    }

    /// The async path, with the MACs computed by Web Crypto. `length` is the
    /// body's length. With `macs` empty: the checks before any hashing
    /// (size, signature presence and shape), answering `None`. With `macs`
    /// (the HMAC under each secret, 32 bytes each, in order): verify's
    /// compare and, with `event`, every check of constructEvent on `body`
    /// and its answer; without, `None` (and `body` may be empty). `macs`
    /// are wiped whatever happens: a MAC the signature did not match signs
    /// this body, and JavaScript's copy is wiped by its caller.
    pub fn check_macs(
        &self,
        body: &[u8],
        length: f64,
        signature: &str,
        macs: &mut [u8],
        now_ms: f64,
        event: bool,
    ) -> Result<Option<Answer>, Failure> {
        let answer = self.check_given_macs(body, length, signature, macs, now_ms, event);
        macs.zeroize();
        answer
    }

    /// [`Verifier::check_macs`] before the wipe.
    fn check_given_macs(
        &self,
        body: &[u8],
        length: f64,
        signature: &str,
        macs: &[u8],
        now_ms: f64,
        event: bool,
    ) -> Result<Option<Answer>, Failure> {
        let length = body_length(length)?;
        if macs.is_empty() {
            self.webhook.precheck(length, signature)?;
            return Ok(None);
        }
        if !event {
            self.webhook.verify_macs(length, signature, macs)?;
            return Ok(None);
        }
        if length != body.len() {
            return Err(Failure::Argument("the body length does not match the body"));
        }
        let now = match clock(now_ms) {
            Ok(now) => now,
            Err(bad_clock) => {
                // A refusal of the delivery itself wins over a bad clock.
                self.webhook.verify_macs(length, signature, macs)?;
                return Err(bad_clock);
            }
        };
        let checked = self
            .webhook
            .check_event_with_macs_at(body, signature, macs, now)?;
        Ok(Some(Answer::event(checked, body)))
    }

    /// Check a visit's token or HMAC, then the visit.
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<Answer, Failure> {
        let checked = self.webhook.check_visit(body, signature)?;
        Ok(Answer::visit(checked, body))
    }
}

/// A `BitnobWebhook` built from what JavaScript passes.
#[derive(Debug)]
pub struct Bitnob {
    webhook: BitnobWebhook,
}

impl Bitnob {
    /// `secrets` holds every secret end to end, `lengths` their lengths; the
    /// bytes are wiped whatever happens.
    pub fn new(
        secrets: &mut [u8],
        lengths: &[u32],
        options: &BitnobOptions,
    ) -> Result<Self, Failure> {
        let webhook = from_secrets(secrets, lengths, |list| BitnobWebhook::with_secrets(list))?;
        let mut webhook = webhook.with_legacy_sha512(options.legacy_sha512);
        webhook = match options.tolerance {
            None => webhook.without_tolerance(),
            Some(seconds) => webhook.with_tolerance(tolerance(seconds)?),
        };
        if let Some(limit) = options.max_body_bytes {
            webhook = webhook.with_max_body_bytes(body_limit(limit)?);
        }
        Ok(Self { webhook })
    }

    /// The settings as the core holds them: `{"maxBodyBytes", "tolerance"
    /// (seconds or null), "legacySha512"}` as JSON text.
    pub fn settings_json(&self) -> String {
        let webhook = &self.webhook;
        let legacy = ("legacySha512", webhook.legacy_sha512());
        settings_json(webhook.max_body_bytes(), webhook.tolerance(), legacy)
    }

    /// The indexes of the configured secrets whose last 4 characters are `last4`.
    pub fn secrets_ending_in(&self, last4: &str) -> Vec<u32> {
        self.webhook
            .secrets_ending_in(last4)
            .into_iter()
            .filter_map(|index| u32::try_from(index).ok())
            .collect()
    }

    /// Run `at` with the clock `now_ms`. Without a window the clock is never
    /// read. With a bad clock, the checks run at the epoch, and a refusal of
    /// the delivery itself (anything but the window, which that clock cannot
    /// decide) wins over the clock's error.
    fn at_clock<T>(
        &self,
        now_ms: f64,
        at: impl FnOnce(SystemTime) -> Result<T, Error>,
    ) -> Result<T, Failure> {
        match clock(now_ms) {
            Ok(now) => Ok(at(now)?),
            Err(_) if self.webhook.tolerance().is_none() => Ok(at(UNIX_EPOCH)?),
            Err(bad_clock) => match at(UNIX_EPOCH) {
                Err(error) if error != Error::TimestampOutOfTolerance => Err(error.into()),
                _ => Err(bad_clock),
            },
        }
    }

    /// Check a delivery whose headers are `[name, value, name, value, ...]`,
    /// `now_ms` (milliseconds since the Unix epoch) being the clock. With
    /// `event`, every check of constructEvent and its answer; without,
    /// verify's checks only and `None`. (One call for both: each export
    /// costs the `.wasm` about 1 KB.)
    pub fn check(
        &self,
        body: &[u8],
        headers: &[String],
        now_ms: f64,
        event: bool,
    ) -> Result<Option<Answer>, Failure> {
        if event {
            self.at_clock(now_ms, |now| {
                self.webhook.check_event_at(body, pairs(headers), now)
            })
            .map(|checked| Some(Answer::event(checked, body)))
        } else {
            self.at_clock(now_ms, |now| {
                self.webhook.verify_at(body, pairs(headers), now)
            })
            .map(|()| None)
        }
    }

    /// The async path's checks before hashing, the MACs to be computed by
    /// Web Crypto: on a body of `length` bytes, the core's precheck (size,
    /// signature presence and shape). Its answer, as bytes: the MAC length
    /// (32: HMAC-SHA256, 64: HMAC-SHA512), the signature's bytes, then
    /// what the MAC covers before the body: `{timestamp}.` exactly as the
    /// core hashes it (timestamped scheme), nothing (legacy).
    pub fn precheck<S: AsRef<str>>(&self, length: f64, headers: &[S]) -> Result<Vec<u8>, Failure> {
        let length = body_length(length)?;
        let input = self.webhook.precheck(length, pairs(headers))?;
        let timestamp = input.timestamp().map(str::as_bytes);
        let mut out =
            Vec::with_capacity(1 + input.mac_len() + timestamp.map_or(0, |t| t.len() + 1));
        out.push(u8::try_from(input.mac_len()).unwrap_or(u8::MAX));
        out.extend_from_slice(input.signature());
        if let Some(timestamp) = timestamp {
            out.extend_from_slice(timestamp);
            out.push(b'.');
        }
        Ok(out)
    }

    /// [`Bitnob::check`] with the MACs computed by Web Crypto (`macs`, the
    /// MAC under each secret end to end, as [`Bitnob::precheck`] says), on a
    /// body of `length` bytes: the same checks, order, answers and clock.
    /// Without `event`, `body` may be empty.
    pub fn check_macs<S: AsRef<str>>(
        &self,
        body: &[u8],
        length: f64,
        headers: &[S],
        macs: &[u8],
        now_ms: f64,
        event: bool,
    ) -> Result<Option<Answer>, Failure> {
        let length = body_length(length)?;
        if event {
            if length != body.len() {
                return Err(Failure::Argument("the body length does not match the body"));
            }
            self.at_clock(now_ms, |now| {
                self.webhook
                    .check_event_with_macs_at(body, pairs(headers), macs, now)
            })
            .map(|checked| Some(Answer::event(checked, body)))
        } else {
            self.at_clock(now_ms, |now| {
                self.webhook
                    .verify_macs_at(length, pairs(headers), macs, now)
            })
            .map(|()| None)
        }
    }
}

/// A body's length from JavaScript, checked.
fn body_length(length: f64) -> Result<usize, Failure> {
    body_limit(length)
        .map_err(|_| Failure::Argument("the body length must be a non-negative integer"))
}
