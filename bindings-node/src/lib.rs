//! The Node binding of `bullseye-webhooks`: argument conversion and error
//! mapping only. Every rule lives in the core crate.
//!
//! The package's JavaScript entry (`index.js`) checks argument types, turns
//! strings into bytes where needed, wraps errors into `WebhookError`, and
//! `JSON.parse`s the verified text (V8's parser builds objects faster than
//! N-API calls can), so this layer returns only what JavaScript needs from
//! the core's check mode: an event's type and its mismatches, or a visit's
//! type, mismatches and typings, the lists as JSON text.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::{
    CheckedEvent, CheckedVisit, ERROR_CODES, ERROR_HTTP_STATUSES, Error, Webhook, mismatches_json,
};
use napi::Status;
use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi_derive::napi;

/// The error code JavaScript sees: one of the core's codes, or a N-API
/// status name for a conversion the JavaScript entry should have prevented.
pub struct Code(String);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Status> for Code {
    fn from(status: Status) -> Self {
        Code(status.as_ref().to_owned())
    }
}

type Result<T> = napi::Result<T, Code>;

/// A body as JavaScript passes it: a string (its UTF-8 bytes) or any byte
/// view. (Spelled out in each signature so the generated `.d.ts` names it.)
fn bytes<'b>(body: &'b Either<String, BufferSlice<'_>>) -> &'b [u8] {
    match body {
        Either::A(text) => text.as_bytes(),
        Either::B(slice) => slice,
    }
}

fn thrown(error: Error) -> napi::Error<Code> {
    napi::Error::new(Code(error.code().to_owned()), error.to_string())
}

fn argument(message: &str) -> napi::Error<Code> {
    napi::Error::new(Code::from(Status::InvalidArg), message)
}

/// The core's error codes, in the order the checks run.
#[napi(js_name = "errorCodes")]
pub fn error_codes() -> Vec<&'static str> {
    ERROR_CODES.to_vec()
}

/// The HTTP status the core assigns to each error code, as `[code, status]` pairs.
#[napi(js_name = "errorStatuses")]
pub fn error_statuses() -> Vec<(&'static str, u32)> {
    ERROR_CODES
        .iter()
        .zip(ERROR_HTTP_STATUSES)
        .map(|(code, status)| (*code, u32::from(status)))
        .collect()
}

/// The header Bullseye signs with.
#[napi(js_name = "signatureHeader")]
pub fn signature_header() -> &'static str {
    bullseye_webhooks::SIGNATURE_HEADER
}

/// The header fingerprinting-api visits carry their token or HMAC in.
#[napi(js_name = "visitSignatureHeader")]
pub fn visit_signature_header() -> &'static str {
    bullseye_webhooks::VISIT_SIGNATURE_HEADER
}

/// The default body size limit, in bytes.
#[napi(js_name = "defaultMaxBodyBytes")]
pub fn default_max_body_bytes() -> u32 {
    u32::try_from(bullseye_webhooks::DEFAULT_MAX_BODY_BYTES).unwrap_or(u32::MAX)
}

/// The value of header `name` among flattened `[key, value, key, value, ...]`
/// pairs, by the core's rule (case-insensitive, repeats joined with ", ").
#[napi(js_name = "findHeader")]
pub fn find_header(flat: Vec<String>, name: String) -> Option<String> {
    let pairs = flat.chunks_exact(2).filter_map(|pair| match pair {
        [key, value] => Some((key.as_str(), value.as_str())),
        _ => None,
    });
    bullseye_webhooks::find_header(pairs, &name).map(|value| value.into_owned())
}

/// The lowercase hex HMAC-SHA256 of `body` under `secret`.
#[napi]
pub fn sign(
    secret: Either<String, BufferSlice<'_>>,
    body: Either<String, BufferSlice<'_>>,
) -> String {
    bullseye_webhooks::sign(bytes(&secret), bytes(&body))
}

/// A checked visit, for the JavaScript entry to apply to `JSON.parse` of
/// the body.
#[napi(object)]
pub struct VisitAnswer {
    /// The visit's type, if it names one.
    pub event_type: Option<String>,
    /// The core's `mismatches_json`: `""` when none.
    pub mismatches: String,
    /// The core's `typings_json`: the descriptive objects' typed strings.
    pub typings: String,
}

fn visit_answer(checked: CheckedVisit) -> VisitAnswer {
    VisitAnswer {
        mismatches: mismatches_json(&checked.mismatches),
        event_type: checked.event_type,
        typings: checked.typings_json,
    }
}

/// Check a fingerprinting-api visit (no signature check), refusing its
/// first mismatch when `strict`; see `VisitAnswer`.
#[napi(js_name = "parseVisit")]
pub fn parse_visit(body: Either<String, BufferSlice<'_>>, strict: bool) -> Result<VisitAnswer> {
    bullseye_webhooks::check_visit(bytes(&body), strict)
        .map(visit_answer)
        .map_err(thrown)
}

/// The native verifier behind the JavaScript `Webhook` class.
#[napi(js_name = "NativeWebhook")]
pub struct NativeWebhook {
    inner: Webhook,
}

#[napi]
impl NativeWebhook {
    /// Build a verifier from secrets given as bytes, a tolerance in seconds,
    /// a body size limit in bytes (both checked by the JavaScript entry) and
    /// whether a field of another type is refused.
    #[napi(constructor)]
    pub fn new(
        secrets: Vec<Buffer>,
        tolerance_seconds: Option<f64>,
        max_body_bytes: Option<f64>,
        strict: Option<bool>,
    ) -> Result<Self> {
        let mut inner = Webhook::with_secrets(secrets.iter().map(|s| &s[..])).map_err(thrown)?;
        inner = inner.with_strict(strict.unwrap_or(false));
        if let Some(seconds) = tolerance_seconds {
            let tolerance = Duration::try_from_secs_f64(seconds)
                .map_err(|_| argument("tolerance must be a non-negative number of seconds"))?;
            inner = inner.with_tolerance(tolerance);
        }
        if let Some(limit) = max_body_bytes {
            if !(limit >= 0.0 && limit.fract() == 0.0 && limit <= 9_007_199_254_740_991.0) {
                return Err(argument("maxBodyBytes must be a non-negative integer"));
            }
            // Saturates on 32-bit targets, where no body can be that large anyway.
            let limit = limit as u64;
            inner = inner.with_max_body_bytes(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        Ok(Self { inner })
    }

    /// The body size limit, in bytes.
    #[napi(getter, js_name = "maxBodyBytes")]
    pub fn max_body_bytes(&self) -> f64 {
        self.inner.max_body_bytes() as f64
    }

    /// The tolerance in seconds, or null when there is no time check.
    #[napi(getter)]
    pub fn tolerance(&self) -> Option<f64> {
        self.inner.tolerance().map(|t| t.as_secs_f64())
    }

    /// How many secrets are accepted.
    #[napi(getter, js_name = "secretCount")]
    pub fn secret_count(&self) -> u32 {
        u32::try_from(self.inner.secret_count()).unwrap_or(u32::MAX)
    }

    /// Check an `X-Bullseye-Signature` value over the raw body.
    #[napi]
    pub fn verify(&self, body: Either<String, BufferSlice<'_>>, signature: String) -> Result<()> {
        self.inner.verify(bytes(&body), &signature).map_err(thrown)
    }

    /// Whether a field of another type is refused as `invalid_payload`.
    #[napi(getter)]
    pub fn strict(&self) -> bool {
        self.inner.strict()
    }

    /// Verify, then check the event; returns its type, or `[type,
    /// mismatches]` when a documented field has another type (the
    /// mismatches as the core's `mismatches_json`). `now_ms` (milliseconds
    /// since the Unix epoch) replaces the clock.
    #[napi(js_name = "constructEvent")]
    pub fn construct_event(
        &self,
        body: Either<String, BufferSlice<'_>>,
        signature: String,
        now_ms: Option<f64>,
    ) -> Result<Either<String, (String, String)>> {
        // The core's check_event: construct_event's checks and errors,
        // without building a typed event JS would not use.
        let body = bytes(&body);
        let checked: CheckedEvent = match now_ms {
            None => self.inner.check_event(body, &signature),
            Some(ms) => self
                .inner
                .check_event_at(body, &signature, system_time(ms)?),
        }
        .map_err(thrown)?;
        Ok(if checked.mismatches.is_empty() {
            Either::A(checked.event_type)
        } else {
            let mismatches = mismatches_json(&checked.mismatches);
            Either::B((checked.event_type, mismatches))
        })
    }

    /// Check a visit's token or HMAC, then check the visit; see `VisitAnswer`.
    #[napi(js_name = "constructVisit")]
    pub fn construct_visit(
        &self,
        body: Either<String, BufferSlice<'_>>,
        signature: String,
    ) -> Result<VisitAnswer> {
        self.inner
            .check_visit(bytes(&body), &signature)
            .map(visit_answer)
            .map_err(thrown)
    }
}

/// Milliseconds since the epoch (negative before it) as a `SystemTime`.
fn system_time(ms: f64) -> Result<SystemTime> {
    let offset = Duration::try_from_secs_f64(ms.abs() / 1000.0)
        .map_err(|_| argument("now must be a finite time"))?;
    let time = if ms >= 0.0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    };
    time.ok_or_else(|| argument("now is out of range"))
}
