//! The Node binding of `bullseye-webhooks`: argument conversion and error
//! mapping only. Every rule lives in the core crate.
//!
//! The package's JavaScript (the API it shares with the WASM package,
//! `js/webhooks.js` in the repository) checks argument types, wraps errors
//! into `WebhookError`, and `JSON.parse`s the verified text (V8's parser
//! builds objects faster than N-API calls can), so this layer returns only
//! what JavaScript needs from the core's check mode: an event's type and its
//! mismatches, or a visit's type, mismatches and typings, the lists as JSON
//! text, and each delivery's key. Its calls take and answer the same shapes
//! as the WASM binding's (`bindings-wasm/src/lib.rs`), so one JavaScript
//! source serves both. It also exposes the core's de-duplication pieces (the
//! `MemoryStore`, the Redis scripts and what their replies mean).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::delivery::{
    self, Claim, Completion, DeliveryStore, MemoryStore, StoreError,
};
use bullseye_webhooks::{
    BitnobWebhook, CheckedEvent, CheckedVisit, ERROR_CODES, ERROR_HTTP_STATUSES, Error, Webhook,
    mismatches_json,
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

/// The HTTP status the core assigns to each error code, in [`error_codes`] order.
#[napi(js_name = "errorStatuses")]
pub fn error_statuses() -> Vec<u32> {
    ERROR_HTTP_STATUSES
        .iter()
        .map(|status| u32::from(*status))
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
    bullseye_webhooks::find_header(pairs(&flat), &name).map(|value| value.into_owned())
}

/// The lowercase hex HMAC-SHA256 of `body` under `secret`.
#[napi]
pub fn sign(
    secret: Either<String, BufferSlice<'_>>,
    body: Either<String, BufferSlice<'_>>,
) -> String {
    bullseye_webhooks::sign(bytes(&secret), bytes(&body))
}

/// A checked visit as JavaScript takes it: `[type, mismatches, typings,
/// delivery key]`, the type `""` when the visit names none (a type is never
/// empty), the mismatches as the core's `mismatches_json` (`""` when none),
/// the typings as its `typings_json`.
fn visit_answer(checked: CheckedVisit, body: &[u8]) -> Vec<String> {
    let mismatches = mismatches_json(&checked.mismatches);
    let key = checked.delivery_key(body);
    vec![
        checked.event_type.unwrap_or_default(),
        mismatches,
        checked.typings_json,
        key,
    ]
}

/// Check a fingerprinting-api visit (no signature check), refusing its
/// first mismatch when `strict`; see `visit_answer`.
#[napi(js_name = "parseVisit")]
pub fn parse_visit(body: Either<String, BufferSlice<'_>>, strict: bool) -> Result<Vec<String>> {
    let body = bytes(&body);
    bullseye_webhooks::check_visit(body, strict)
        .map(|checked| visit_answer(checked, body))
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

    /// Verify, then check the event; see `event_answer`. `now_ms`
    /// (milliseconds since the Unix epoch, JavaScript's clock) is the clock.
    #[napi(js_name = "constructEvent")]
    pub fn construct_event(
        &self,
        body: Either<String, BufferSlice<'_>>,
        signature: String,
        now_ms: f64,
    ) -> Result<Vec<String>> {
        // The core's check_event: construct_event's checks and errors,
        // without building a typed event JS would not use.
        let body = bytes(&body);
        let checked: CheckedEvent = self
            .inner
            .check_event_at(body, &signature, system_time(now_ms)?)
            .map_err(thrown)?;
        Ok(event_answer(checked, body))
    }

    /// Check a visit's token or HMAC, then check the visit; see `visit_answer`.
    #[napi(js_name = "constructVisit")]
    pub fn construct_visit(
        &self,
        body: Either<String, BufferSlice<'_>>,
        signature: String,
    ) -> Result<Vec<String>> {
        let body = bytes(&body);
        self.inner
            .check_visit(body, &signature)
            .map(|checked| visit_answer(checked, body))
            .map_err(thrown)
    }
}

/// A checked event as JavaScript takes it: `[type, delivery key]`, or
/// `[type, delivery key, mismatches]` when a documented field has another
/// type (the core's `mismatches_json`).
fn event_answer(checked: CheckedEvent, body: &[u8]) -> Vec<String> {
    let key = checked.delivery_key(body);
    if checked.mismatches.is_empty() {
        vec![checked.event_type, key]
    } else {
        let mismatches = mismatches_json(&checked.mismatches);
        vec![checked.event_type, key, mismatches]
    }
}

// ---------------------------------------------------------------------------
// De-duplication: the core's defaults, Redis scripts and reply meanings, the
// claim token, and the MemoryStore.

fn store_error(error: StoreError) -> napi::Error<Code> {
    napi::Error::new(Code(error.code().to_owned()), error.to_string())
}

/// The core's de-duplication defaults.
#[napi(object)]
pub struct DeliveryDefaults {
    /// The lease of a claim, in milliseconds (60 s).
    pub lease_ms: f64,
    /// How long a handled delivery is remembered, in milliseconds (24 h).
    pub retention_ms: f64,
    /// The `Retry-After` of a 503 for a store that cannot be reached, in seconds.
    pub store_retry_after_secs: u32,
    /// The prefix of the Redis stores' keys.
    pub redis_key_prefix: String,
    /// How many keys a `MemoryStore` holds by default.
    pub memory_capacity: f64,
}

/// The core's de-duplication defaults.
#[napi(js_name = "deliveryDefaults")]
pub fn delivery_defaults() -> DeliveryDefaults {
    DeliveryDefaults {
        lease_ms: delivery::DEFAULT_LEASE_MS as f64,
        retention_ms: delivery::DEFAULT_RETENTION_MS as f64,
        store_retry_after_secs: u32::try_from(delivery::STORE_RETRY_AFTER_SECS).unwrap_or(u32::MAX),
        redis_key_prefix: delivery::REDIS_KEY_PREFIX.to_owned(),
        memory_capacity: delivery::DEFAULT_MEMORY_CAPACITY as f64,
    }
}

/// The core's Lua scripts, which every Redis store runs.
#[napi(object)]
pub struct RedisScripts {
    /// Claims a key (new, duplicate, or in flight with the remaining lease).
    pub claim: String,
    /// Marks a claimed key done for the retention.
    pub complete: String,
    /// Deletes a claim, only if it still holds the token.
    pub release: String,
}

/// The core's Lua scripts, which every Redis store runs.
#[napi(js_name = "redisScripts")]
pub fn redis_scripts() -> RedisScripts {
    RedisScripts {
        claim: delivery::REDIS_CLAIM_SCRIPT.to_owned(),
        complete: delivery::REDIS_COMPLETE_SCRIPT.to_owned(),
        release: delivery::REDIS_RELEASE_SCRIPT.to_owned(),
    }
}

/// A new claim token: 128 bits from the OS random number generator, as hex.
#[napi(js_name = "newClaimToken")]
pub fn new_claim_token() -> Result<String> {
    delivery::new_claim_token().map_err(store_error)
}

/// What a claim found, as JavaScript takes it.
#[napi(object)]
pub struct ClaimAnswer {
    /// `'new'`, `'duplicate'` or `'in_flight'`.
    pub outcome: String,
    /// For `'new'`: the claim's token.
    pub token: Option<String>,
    /// For `'in_flight'`: the `Retry-After` to answer, in whole seconds (at least 1).
    pub retry_after: Option<f64>,
}

fn claim_answer(claim: Claim) -> ClaimAnswer {
    let retry_after = claim.retry_after_secs().map(|secs| secs as f64);
    let (outcome, token) = match claim {
        Claim::New { token } => ("new", Some(token)),
        Claim::Duplicate => ("duplicate", None),
        _ => ("in_flight", None),
    };
    ClaimAnswer {
        outcome: outcome.to_owned(),
        token,
        retry_after,
    }
}

fn completion_name(completion: Completion) -> &'static str {
    match completion {
        Completion::Done => "done",
        Completion::LeaseExpired => "lease_expired",
        _ => "not_held",
    }
}

/// What a reply of the claim script means, `token` being the token it was given.
#[napi(js_name = "claimFromRedisReply")]
pub fn claim_from_redis_reply(reply: i64, token: String) -> Result<ClaimAnswer> {
    Claim::from_redis_reply(reply, token)
        .map(claim_answer)
        .map_err(store_error)
}

/// What a reply of the complete script means: `'done'`, `'lease_expired'` or `'not_held'`.
#[napi(js_name = "completionFromRedisReply")]
pub fn completion_from_redis_reply(reply: i64) -> Result<&'static str> {
    Completion::from_redis_reply(reply)
        .map(completion_name)
        .map_err(store_error)
}

/// A duration in milliseconds from JavaScript (checked there), as a `Duration`.
fn millis(ms: f64, name: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        argument(&format!(
            "{name} must be a non-negative number of milliseconds"
        ))
    })
}

/// The core's `MemoryStore`, behind the JavaScript `MemoryStore` class.
#[napi(js_name = "NativeMemoryStore")]
pub struct NativeMemoryStore {
    inner: MemoryStore,
}

#[napi]
impl NativeMemoryStore {
    /// A store of at most `capacity` keys (default the core's).
    #[napi(constructor)]
    pub fn new(capacity: Option<f64>) -> Result<Self> {
        let inner = match capacity {
            None => MemoryStore::new(),
            Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => {
                MemoryStore::with_capacity(usize::try_from(n as u64).unwrap_or(usize::MAX))
            }
            Some(_) => return Err(argument("capacity must be a positive integer")),
        };
        Ok(Self { inner })
    }

    /// The most keys it holds.
    #[napi(getter)]
    pub fn capacity(&self) -> f64 {
        self.inner.capacity() as f64
    }

    /// How many keys it holds now.
    #[napi(getter)]
    pub fn size(&self) -> f64 {
        self.inner.len() as f64
    }

    /// Claim `key` for `lease_ms` milliseconds.
    #[napi]
    pub fn claim(&self, key: String, lease_ms: f64) -> Result<ClaimAnswer> {
        self.inner
            .claim(&key, millis(lease_ms, "lease")?)
            .map(claim_answer)
            .map_err(store_error)
    }

    /// Mark `key` done for `retention_ms` if `token`'s claim holds it (or it is free).
    #[napi]
    pub fn complete(&self, key: String, token: String, retention_ms: f64) -> Result<&'static str> {
        self.inner
            .complete(&key, &token, millis(retention_ms, "retention")?)
            .map(completion_name)
            .map_err(store_error)
    }

    /// Delete `token`'s claim on `key` (never another's): whether it did.
    #[napi]
    pub fn release(&self, key: String, token: String) -> Result<bool> {
        self.inner.release(&key, &token).map_err(store_error)
    }
}

// ---------------------------------------------------------------------------
// Bitnob

/// Headers as `[name, value, name, value, ...]` pairs, for the core.
fn pairs(flat: &[String]) -> impl Iterator<Item = (&str, &str)> {
    flat.chunks_exact(2).filter_map(|pair| match pair {
        [key, value] => Some((key.as_str(), value.as_str())),
        _ => None,
    })
}

/// The Bitnob header names: `[signature, timestamp, event]`.
#[napi(js_name = "bitnobHeaders")]
pub fn bitnob_headers() -> Vec<&'static str> {
    vec![
        bullseye_webhooks::BITNOB_SIGNATURE_HEADER,
        bullseye_webhooks::BITNOB_TIMESTAMP_HEADER,
        bullseye_webhooks::BITNOB_EVENT_HEADER,
    ]
}

/// The default Bitnob replay window, in seconds.
#[napi(js_name = "defaultBitnobTolerance")]
pub fn default_bitnob_tolerance() -> f64 {
    bullseye_webhooks::DEFAULT_BITNOB_TOLERANCE.as_secs_f64()
}

/// The last 4 characters of `secret`, as Bitnob's dashboard shows them.
#[napi(js_name = "secretLast4")]
pub fn secret_last4(secret: Either<String, BufferSlice<'_>>) -> String {
    bullseye_webhooks::secret_last4(bytes(&secret))
}

/// The `X-Bitnob-Signature` for `body` sent with `X-Bitnob-Timestamp: timestamp`.
#[napi(js_name = "signBitnob")]
pub fn sign_bitnob(
    secret: Either<String, BufferSlice<'_>>,
    timestamp: String,
    body: Either<String, BufferSlice<'_>>,
) -> String {
    bullseye_webhooks::sign_bitnob(bytes(&secret), &timestamp, bytes(&body))
}

/// The legacy `X-Bitnob-Signature` (hex HMAC-SHA512 of the body alone).
#[napi(js_name = "signBitnobLegacy")]
pub fn sign_bitnob_legacy(
    secret: Either<String, BufferSlice<'_>>,
    body: Either<String, BufferSlice<'_>>,
) -> String {
    bullseye_webhooks::sign_bitnob_legacy(bytes(&secret), bytes(&body))
}

/// The native verifier behind the JavaScript `BitnobWebhook` class.
#[napi(js_name = "NativeBitnobWebhook")]
pub struct NativeBitnobWebhook {
    inner: BitnobWebhook,
}

#[napi]
impl NativeBitnobWebhook {
    /// Build a verifier from secrets given as bytes, a replay window in
    /// seconds (null: off), whether the legacy SHA-512 scheme is accepted and
    /// a body size limit in bytes (all checked by the JavaScript entry).
    #[napi(constructor)]
    pub fn new(
        secrets: Vec<Buffer>,
        tolerance_seconds: Option<f64>,
        legacy_sha512: bool,
        max_body_bytes: Option<f64>,
    ) -> Result<Self> {
        let mut inner = BitnobWebhook::with_secrets(secrets.iter().map(|s| &s[..]))
            .map_err(thrown)?
            .with_legacy_sha512(legacy_sha512);
        inner = match tolerance_seconds {
            None => inner.without_tolerance(),
            Some(seconds) => inner.with_tolerance(
                Duration::try_from_secs_f64(seconds)
                    .map_err(|_| argument("tolerance must be a non-negative number of seconds"))?,
            ),
        };
        if let Some(limit) = max_body_bytes {
            if !(limit >= 0.0 && limit.fract() == 0.0 && limit <= 9_007_199_254_740_991.0) {
                return Err(argument("maxBodyBytes must be a non-negative integer"));
            }
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

    /// The replay window in seconds, or null when it is off.
    #[napi(getter)]
    pub fn tolerance(&self) -> Option<f64> {
        self.inner.tolerance().map(|t| t.as_secs_f64())
    }

    /// Whether the legacy HMAC-SHA512 scheme is accepted.
    #[napi(getter, js_name = "legacySha512")]
    pub fn legacy_sha512(&self) -> bool {
        self.inner.legacy_sha512()
    }

    /// The indexes of the configured secrets whose last 4 characters are `last4`.
    #[napi(js_name = "secretsEndingIn")]
    pub fn secrets_ending_in(&self, last4: String) -> Vec<u32> {
        self.inner
            .secrets_ending_in(&last4)
            .into_iter()
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect()
    }

    /// Check a delivery whose headers are `flat` `[name, value, ...]`
    /// pairs, `now_ms` (milliseconds since the Unix epoch) being the clock.
    /// With `event`, every check of constructEvent and its answer `[type,
    /// delivery key]`; without, verify's checks only and `[]` (one call for
    /// both, as in the WASM binding).
    #[napi]
    pub fn check(
        &self,
        body: Either<String, BufferSlice<'_>>,
        flat: Vec<String>,
        now_ms: f64,
        event: bool,
    ) -> Result<Vec<String>> {
        let body = bytes(&body);
        let now = system_time(now_ms)?;
        if event {
            self.inner
                .check_event_at(body, pairs(&flat), now)
                .map(|checked| event_answer(checked, body))
        } else {
            self.inner
                .verify_at(body, pairs(&flat), now)
                .map(|()| Vec::new())
        }
        .map_err(thrown)
    }
}

/// Milliseconds since the Unix epoch as a `SystemTime`; before 1970 (or not
/// finite) is refused, as the WASM binding does.
fn system_time(ms: f64) -> Result<SystemTime> {
    const OUT_OF_RANGE: &str = "now must be a time after 1970 and finite";
    let since_epoch =
        Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| argument(OUT_OF_RANGE))?;
    UNIX_EPOCH
        .checked_add(since_epoch)
        .ok_or_else(|| argument(OUT_OF_RANGE))
}
