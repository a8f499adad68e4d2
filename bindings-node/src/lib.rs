//! The Node binding of `bullseye-webhooks`: argument conversion and error
//! mapping only. Every rule lives in the core crate.
//!
//! The package's JavaScript (the API it shares with the WASM package, `js/`
//! in the repository) checks argument types, wraps errors into
//! `WebhookError`, and `JSON.parse`s each answer (V8's parser builds objects
//! faster than N-API calls can). The calls themselves are the shared
//! JavaScript glue's (`bullseye-webhooks-js-glue`, which the WASM binding
//! calls too, with the same arguments and answers); this layer converts
//! types and maps errors. It also exposes the core's de-duplication pieces
//! (the `MemoryStore`, the Redis scripts and what their replies mean), which
//! only this package has.

use bullseye_webhooks::delivery::{
    self, Claim, Completion, DeliveryStore, MemoryStore, StoreError,
};
use bullseye_webhooks::{ERROR_CODES, ERROR_HTTP_STATUSES};
use bullseye_webhooks_js_glue::{self as glue, Answer, Failure};
use napi::Status;
use napi::bindgen_prelude::{BufferSlice, Either, External};
use napi_derive::napi;

// The queue envelope and the Redis Streams hand-off's layout.
pub mod envelope;

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

/// A body as JavaScript passes it: any byte view or a string (its UTF-8
/// bytes). (Spelled out in each signature so the generated `.d.ts` names
/// it.) The byte view first: napi-rs tries each type in order, and a type
/// that does not match costs a formatted error message, so the usual body (a
/// Buffer) is taken by the first test.
fn bytes<'b>(body: &'b Either<BufferSlice<'_>, String>) -> &'b [u8] {
    match body {
        Either::A(slice) => slice,
        Either::B(text) => text.as_bytes(),
    }
}

/// A failure as JavaScript receives it: an `Error` whose `code` is one of
/// the core's codes, or `InvalidArg` for an argument the JavaScript entry
/// should have refused (it becomes a `TypeError`).
fn thrown(failure: Failure) -> napi::Error<Code> {
    let code = match failure {
        Failure::Webhook(_) => Code(failure.code().to_owned()),
        Failure::Argument(_) => Code::from(Status::InvalidArg),
    };
    napi::Error::new(code, failure.message())
}

/// An answer as JavaScript takes it: the glue's JSON text.
fn answered(answer: std::result::Result<Answer, Failure>) -> Result<String> {
    answer.map(|answer| answer.to_json()).map_err(thrown)
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
    glue::find_header(&flat, &name)
}

/// The lowercase hex HMAC-SHA256 of `body` under `secret`.
#[napi]
pub fn sign(
    secret: Either<BufferSlice<'_>, String>,
    body: Either<BufferSlice<'_>, String>,
) -> String {
    bullseye_webhooks::sign(bytes(&secret), bytes(&body))
}

/// Check a fingerprinting-api visit (no signature check), refusing its
/// first mismatch when `strict` (the glue's answer, as JSON text).
#[napi(js_name = "parseVisit")]
pub fn parse_visit(body: Either<BufferSlice<'_>, String>, strict: bool) -> Result<String> {
    answered(glue::parse_visit(bytes(&body), strict))
}

/// A `Webhook`'s options as the JavaScript entry passes them (checked there).
#[napi(object)]
pub struct NativeWebhookOptions {
    /// The tolerance in seconds; unset: no time check.
    pub tolerance: Option<f64>,
    /// The body size limit in bytes; unset: the core's default.
    pub max_body_bytes: Option<f64>,
    /// Whether a field of another type is refused.
    pub strict: bool,
}

impl From<NativeWebhookOptions> for glue::WebhookOptions {
    fn from(options: NativeWebhookOptions) -> Self {
        let NativeWebhookOptions {
            tolerance,
            max_body_bytes,
            strict,
        } = options;
        Self {
            tolerance,
            max_body_bytes,
            strict,
        }
    }
}

// The core's verifiers behind the JavaScript `Webhook` and `BitnobWebhook`
// classes are Externals, and their calls functions taking one first:
// napi-rs 3 registers every `&self` of a class method in a process-wide
// borrow table (a lock and a hash map entry per call), which cost about a
// tenth of `verify` on a 3 KB body; an External is only unwrapped.

/// Build a verifier from the secrets end to end (a copy the JavaScript
/// entry made, wiped before returning), their lengths and the options.
#[napi(js_name = "webhookNew", ts_return_type = "ExternalObject<'Webhook'>")]
pub fn webhook_new(
    mut secrets: BufferSlice<'_>,
    lengths: Vec<u32>,
    options: NativeWebhookOptions,
) -> Result<External<glue::Verifier>> {
    let options = glue::WebhookOptions::from(options);
    let inner = glue::Verifier::new(&mut secrets, &lengths, &options).map_err(thrown)?;
    Ok(External::new(inner))
}

/// The settings as the core holds them, as JSON text: `{"maxBodyBytes",
/// "tolerance" (seconds or null), "strict"}`.
#[napi(js_name = "webhookSettings")]
pub fn webhook_settings(
    #[napi(ts_arg_type = "ExternalObject<'Webhook'>")] webhook: &External<glue::Verifier>,
) -> String {
    webhook.settings_json()
}

/// Check an `X-Bullseye-Signature` value over the raw body.
#[napi(js_name = "webhookVerify")]
pub fn webhook_verify(
    #[napi(ts_arg_type = "ExternalObject<'Webhook'>")] webhook: &External<glue::Verifier>,
    body: Either<BufferSlice<'_>, String>,
    signature: String,
) -> Result<()> {
    webhook.verify(bytes(&body), &signature).map_err(thrown)
}

/// Verify, then check the event (the glue's answer, as JSON text). `now_ms`
/// (milliseconds since the Unix epoch, JavaScript's clock) is the clock.
#[napi(js_name = "webhookConstructEvent")]
pub fn webhook_construct_event(
    #[napi(ts_arg_type = "ExternalObject<'Webhook'>")] webhook: &External<glue::Verifier>,
    body: Either<BufferSlice<'_>, String>,
    signature: String,
    now_ms: f64,
) -> Result<String> {
    answered(webhook.construct_event(bytes(&body), &signature, now_ms))
}

/// Check a visit's token or HMAC, then the visit (the glue's answer, as JSON text).
#[napi(js_name = "webhookConstructVisit")]
pub fn webhook_construct_visit(
    #[napi(ts_arg_type = "ExternalObject<'Webhook'>")] webhook: &External<glue::Verifier>,
    body: Either<BufferSlice<'_>, String>,
    signature: String,
) -> Result<String> {
    answered(webhook.construct_visit(bytes(&body), &signature))
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
    /// How many keys a `CachedStore`'s cache holds by default.
    pub cache_capacity: f64,
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
        cache_capacity: delivery::DEFAULT_CACHE_CAPACITY as f64,
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
    /// `'new'`, `'duplicate'`, `'in_flight'` or `'conflict'`.
    pub outcome: String,
    /// For `'new'`: the claim's token.
    pub token: Option<String>,
    /// For `'in_flight'`: the `Retry-After` to answer, in whole seconds (at least 1).
    pub retry_after: Option<f64>,
    /// For `'conflict'`: the hash of the other body, which the store holds.
    pub stored_hash: Option<String>,
    /// For `'conflict'`: where that body is, `'in_flight'` or `'done'`.
    pub found: Option<String>,
}

fn claim_answer(claim: Claim) -> ClaimAnswer {
    let retry_after = claim.retry_after_secs().map(|secs| secs as f64);
    let (outcome, token, stored_hash, found) = match claim {
        Claim::New { token } => ("new", Some(token), None, None),
        Claim::Duplicate => ("duplicate", None, None, None),
        Claim::Conflict {
            stored_hash,
            in_flight,
        } => (
            "conflict",
            None,
            Some(stored_hash),
            Some(if in_flight { "in_flight" } else { "done" }.to_owned()),
        ),
        _ => ("in_flight", None, None, None),
    };
    ClaimAnswer {
        outcome: outcome.to_owned(),
        token,
        retry_after,
        stored_hash,
        found,
    }
}

/// The hash kept with a delivery's claim and done mark: the hex SHA-256 of the raw body.
#[napi(js_name = "bodyHash")]
pub fn body_hash(body: Either<BufferSlice<'_>, String>) -> String {
    delivery::body_hash(bytes(&body))
}

/// The key a conflicting delivery is handled under with `onConflict: 'process'`.
#[napi(js_name = "conflictKey")]
pub fn conflict_key(key: String, body_hash: String) -> String {
    delivery::conflict_key(&key, &body_hash)
}

fn completion_name(completion: Completion) -> &'static str {
    match completion {
        Completion::Done => "done",
        Completion::LeaseExpired => "lease_expired",
        _ => "not_held",
    }
}

/// What a reply `[reply, storedHash]` of the claim script means, `token` being the token it was given.
#[napi(js_name = "claimFromRedisReply")]
pub fn claim_from_redis_reply(
    reply: i64,
    stored_hash: String,
    token: String,
) -> Result<ClaimAnswer> {
    Claim::from_redis_reply(reply, &stored_hash, token)
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

const LEASE: &str = "lease must be a non-negative number of milliseconds";
const RETENTION: &str = "retention must be a non-negative number of milliseconds";

/// A duration in milliseconds from JavaScript (checked there), as a `Duration`.
fn millis(ms: f64, refused: &'static str) -> Result<std::time::Duration> {
    glue::millis(ms, refused).map_err(thrown)
}

/// The core's cache of keys this process completed, behind `CachedStore`.
#[napi(js_name = "NativeRecentlyDone")]
pub struct NativeRecentlyDone {
    inner: delivery::RecentlyDone,
}

#[napi]
impl NativeRecentlyDone {
    /// A cache of at most `capacity` keys.
    #[napi(constructor)]
    pub fn new(capacity: f64) -> Result<Self> {
        const REFUSED: &str = "capacity must be a positive integer";
        match glue::whole_number(capacity, REFUSED).map_err(thrown)? {
            0 => Err(thrown(Failure::Argument(REFUSED))),
            n => Ok(Self {
                inner: delivery::RecentlyDone::new(n),
            }),
        }
    }

    /// How many keys it holds.
    #[napi(getter)]
    pub fn size(&self) -> f64 {
        self.inner.len() as f64
    }

    /// A duplicate or conflict answer for a key it holds, else null.
    #[napi]
    pub fn check(&self, key: String, body_hash: String) -> Option<ClaimAnswer> {
        self.inner.check(&key, &body_hash).map(claim_answer)
    }

    /// Remember `key` as done with `body_hash` for `retention_ms`.
    #[napi]
    pub fn remember(&self, key: String, body_hash: String, retention_ms: f64) -> Result<()> {
        self.inner
            .remember(&key, &body_hash, millis(retention_ms, RETENTION)?);
        Ok(())
    }
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
        const REFUSED: &str = "capacity must be a positive integer";
        let inner = match capacity {
            None => MemoryStore::new(),
            Some(n) => match glue::whole_number(n, REFUSED).map_err(thrown)? {
                0 => return Err(thrown(Failure::Argument(REFUSED))),
                n => MemoryStore::with_capacity(n),
            },
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

    /// Claim `key` (with its body's hash) for `lease_ms` milliseconds.
    #[napi]
    pub fn claim(&self, key: String, body_hash: String, lease_ms: f64) -> Result<ClaimAnswer> {
        self.inner
            .claim(&key, &body_hash, millis(lease_ms, LEASE)?)
            .map(claim_answer)
            .map_err(store_error)
    }

    /// Mark `key` done for `retention_ms` if `token`'s claim holds it (or it is free).
    #[napi]
    pub fn complete(
        &self,
        key: String,
        token: String,
        body_hash: String,
        retention_ms: f64,
    ) -> Result<&'static str> {
        self.inner
            .complete(&key, &token, &body_hash, millis(retention_ms, RETENTION)?)
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
pub fn secret_last4(secret: Either<BufferSlice<'_>, String>) -> String {
    bullseye_webhooks::secret_last4(bytes(&secret))
}

/// The `X-Bitnob-Signature` for `body` sent with `X-Bitnob-Timestamp: timestamp`.
#[napi(js_name = "signBitnob")]
pub fn sign_bitnob(
    secret: Either<BufferSlice<'_>, String>,
    timestamp: String,
    body: Either<BufferSlice<'_>, String>,
) -> String {
    bullseye_webhooks::sign_bitnob(bytes(&secret), &timestamp, bytes(&body))
}

/// The legacy `X-Bitnob-Signature` (hex HMAC-SHA512 of the body alone).
#[napi(js_name = "signBitnobLegacy")]
pub fn sign_bitnob_legacy(
    secret: Either<BufferSlice<'_>, String>,
    body: Either<BufferSlice<'_>, String>,
) -> String {
    bullseye_webhooks::sign_bitnob_legacy(bytes(&secret), bytes(&body))
}

/// A `BitnobWebhook`'s options as the JavaScript entry passes them (checked there).
#[napi(object)]
pub struct NativeBitnobOptions {
    /// The replay window in seconds; unset: none.
    pub tolerance: Option<f64>,
    /// Whether the legacy HMAC-SHA512 scheme is accepted.
    pub legacy_sha512: bool,
    /// The body size limit in bytes; unset: the core's default.
    pub max_body_bytes: Option<f64>,
}

impl From<NativeBitnobOptions> for glue::BitnobOptions {
    fn from(options: NativeBitnobOptions) -> Self {
        let NativeBitnobOptions {
            tolerance,
            legacy_sha512,
            max_body_bytes,
        } = options;
        Self {
            tolerance,
            legacy_sha512,
            max_body_bytes,
        }
    }
}

/// Build a verifier from the secrets end to end (a copy the JavaScript
/// entry made, wiped before returning), their lengths and the options.
#[napi(
    js_name = "bitnobNew",
    ts_return_type = "ExternalObject<'BitnobWebhook'>"
)]
pub fn bitnob_new(
    mut secrets: BufferSlice<'_>,
    lengths: Vec<u32>,
    options: NativeBitnobOptions,
) -> Result<External<glue::Bitnob>> {
    let options = glue::BitnobOptions::from(options);
    let inner = glue::Bitnob::new(&mut secrets, &lengths, &options).map_err(thrown)?;
    Ok(External::new(inner))
}

/// The settings as the core holds them, as JSON text: `{"maxBodyBytes",
/// "tolerance" (seconds or null), "legacySha512"}`.
#[napi(js_name = "bitnobSettings")]
pub fn bitnob_settings(
    #[napi(ts_arg_type = "ExternalObject<'BitnobWebhook'>")] bitnob: &External<glue::Bitnob>,
) -> String {
    bitnob.settings_json()
}

/// The indexes of the configured secrets whose last 4 characters are `last4`.
#[napi(js_name = "bitnobSecretsEndingIn")]
pub fn bitnob_secrets_ending_in(
    #[napi(ts_arg_type = "ExternalObject<'BitnobWebhook'>")] bitnob: &External<glue::Bitnob>,
    last4: String,
) -> Vec<u32> {
    bitnob.secrets_ending_in(&last4)
}

/// Check a delivery (see the glue's `Bitnob::check`).
#[napi(js_name = "bitnobCheck")]
pub fn bitnob_check(
    #[napi(ts_arg_type = "ExternalObject<'BitnobWebhook'>")] bitnob: &External<glue::Bitnob>,
    body: Either<BufferSlice<'_>, String>,
    flat: Vec<String>,
    now_ms: f64,
    event: bool,
) -> Result<Option<String>> {
    bitnob
        .check(bytes(&body), &flat, now_ms, event)
        .map(|answer| answer.map(|answer| answer.to_json()))
        .map_err(thrown)
}
