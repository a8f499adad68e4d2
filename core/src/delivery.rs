//! De-duplicating deliveries: the delivery key, the claim protocol, the
//! in-process [`MemoryStore`], and the Redis scripts every language's Redis
//! store runs.
//!
//! Both senders retry, so one delivery can arrive several times, and a retry
//! can arrive while the first attempt is still being handled. A receiver
//! claims each delivery's key before handling it:
//!
//! - [`Claim::New`]: nobody has it; handle it, then [`DeliveryStore::complete`]
//!   (on success) or [`DeliveryStore::release`] (on failure, so that the retry
//!   is handled);
//! - [`Claim::Duplicate`]: it was handled; answer 2xx without handling it;
//! - [`Claim::InFlight`]: another worker holds it; answer 409 with
//!   `Retry-After`.
//!
//! A claim is a lease: a crashed worker's claim expires. Completing and
//! releasing take the claim's token, and never touch another worker's claim.

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::hex::to_hex;
use crate::text::Str;

/// How long a claim holds a delivery before another worker may take it, in
/// milliseconds: 60 s (Bullseye waits 30 s for an answer).
pub const DEFAULT_LEASE_MS: u64 = 60_000;
/// How long a handled delivery is remembered, in milliseconds: 24 h, well
/// past Bullseye's retries (about 1, 5 and 30 minutes).
pub const DEFAULT_RETENTION_MS: u64 = 24 * 60 * 60 * 1000;
/// The `Retry-After` of a 503 answered when the store cannot be reached, in
/// seconds.
pub const STORE_RETRY_AFTER_SECS: u64 = 30;
/// [`DEFAULT_LEASE_MS`] as a `Duration`.
pub const DEFAULT_LEASE: Duration = Duration::from_millis(DEFAULT_LEASE_MS);
/// [`DEFAULT_RETENTION_MS`] as a `Duration`.
pub const DEFAULT_RETENTION: Duration = Duration::from_millis(DEFAULT_RETENTION_MS);
/// [`STORE_RETRY_AFTER_SECS`] as a `Duration`.
pub const STORE_RETRY_AFTER: Duration = Duration::from_secs(STORE_RETRY_AFTER_SECS);

/// The longest component of a delivery key, escaped; a longer one is
/// replaced by `sha256-` and the hex SHA-256 of its text (71 characters), so
/// no key is longer than 224 bytes.
pub const MAX_KEY_COMPONENT_LEN: usize = 64;

/// The prefix of the Redis stores' keys (each store can set its own).
pub const REDIS_KEY_PREFIX: &str = "bullseye-webhooks:delivery:";
/// The Redis value of a handled delivery; a claim's value is `w:{token}`.
pub const REDIS_DONE_VALUE: &str = "done";
/// The Lua script that claims a key. `KEYS[1]` the prefixed delivery key,
/// `ARGV[1]` the claim token, `ARGV[2]` the lease in milliseconds (at least
/// 1). Replies `0` (new: the key now holds `w:{token}` for the lease), `-1`
/// (duplicate: the key holds `done`), or `n > 0` (in flight: another claim
/// holds it for `n` more milliseconds). See [`Claim::from_redis_reply`].
pub const REDIS_CLAIM_SCRIPT: &str = include_str!("delivery/claim.lua");
/// The Lua script that marks a claimed key done. `KEYS[1]` the prefixed
/// delivery key, `ARGV[1]` the claim token, `ARGV[2]` the retention in
/// milliseconds (at least 1). Replies `1` (this claim was marked done), `2`
/// (the key was free, this claim's lease having expired: marked done), `0`
/// (another claim or `done` is there: left untouched). See
/// [`Completion::from_redis_reply`].
pub const REDIS_COMPLETE_SCRIPT: &str = include_str!("delivery/complete.lua");
/// The Lua script that releases a claim. `KEYS[1]` the prefixed delivery
/// key, `ARGV[1]` the claim token. Replies `1` (this claim was deleted) or
/// `0` (the key is free, done, or another worker's claim: left untouched).
pub const REDIS_RELEASE_SCRIPT: &str = include_str!("delivery/release.lua");

/// The error code of a store that cannot be reached or answer, which an
/// integration answers with 503 and `Retry-After` (not a webhook [`crate::Error`]:
/// the delivery itself is fine).
pub const STORE_UNAVAILABLE: &str = "store_unavailable";
/// The error code of the 409 answered for a delivery another worker holds.
pub const DELIVERY_IN_FLIGHT: &str = "delivery_in_flight";

// ---------------------------------------------------------------------------
// The delivery key
// ---------------------------------------------------------------------------

/// The key of a Bullseye event with a session:
/// `bullseye:{organization_id}:{event_type}:{session_id}`, each component
/// escaped (see [`escape_key_component`]). An absent organization is the
/// empty component.
pub fn bullseye_delivery_key(organization_id: &str, event_type: &str, session_id: &str) -> String {
    let mut key =
        String::with_capacity(16 + organization_id.len() + event_type.len() + session_id.len());
    key.push_str("bullseye:");
    push_component(&mut key, organization_id);
    key.push(':');
    push_component(&mut key, event_type);
    key.push(':');
    push_component(&mut key, session_id);
    key
}

/// The key of a fingerprinting-api visit with an id: `visit:{id}`, the id
/// escaped (see [`escape_key_component`]).
pub fn visit_delivery_key(id: &str) -> String {
    let mut key = String::with_capacity(8 + id.len());
    key.push_str("visit:");
    push_component(&mut key, id);
    key
}

/// The key of any other delivery: `sha256:{lowercase hex SHA-256 of the raw
/// body}`.
pub fn body_delivery_key(body: &[u8]) -> String {
    format!("sha256:{}", to_hex(&Sha256::digest(body)))
}

/// One component of a delivery key: every byte of its UTF-8 text other than
/// `A-Z a-z 0-9 - . _ ~` written `%XX` (uppercase hex), so a `:` inside a
/// component cannot forge another key; when that is longer than
/// [`MAX_KEY_COMPONENT_LEN`], `sha256-` and the lowercase hex SHA-256 of the
/// text instead (longer than any escaped component, so never equal to one).
pub fn escape_key_component(component: &str) -> String {
    let mut out = String::new();
    push_component(&mut out, component);
    out
}

fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn push_component(out: &mut String, component: &str) {
    let escaped_len: usize = component
        .bytes()
        .map(|b| if unreserved(b) { 1 } else { 3 })
        .sum();
    if escaped_len > MAX_KEY_COMPONENT_LEN {
        out.push_str("sha256-");
        out.push_str(&to_hex(&Sha256::digest(component.as_bytes())));
        return;
    }
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    for byte in component.bytes() {
        if unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            for nibble in [byte >> 4, byte & 0x0f] {
                let digit = UPPER.get(usize::from(nibble)).copied().unwrap_or(b'0');
                out.push(char::from(digit));
            }
        }
    }
}

/// The fields an event's key is made of, kept by the reader (also in check
/// mode). Default: none, so the key is the body's hash (Bitnob events).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyFields {
    pub(crate) organization_id: Option<Str>,
    pub(crate) session_id: Option<Str>,
}

impl KeyFields {
    /// The key of an event of type `event_type` whose body is `body`.
    pub(crate) fn event_key(&self, event_type: &str, body: &[u8]) -> String {
        event_key(
            self.organization_id.as_deref(),
            event_type,
            self.session_id.as_deref(),
            body,
        )
    }
}

/// The key of an event: by its session when it has a non-empty one, else by
/// its body's hash.
pub(crate) fn event_key(
    organization_id: Option<&str>,
    event_type: &str,
    session_id: Option<&str>,
    body: &[u8],
) -> String {
    match session_id {
        Some(session_id) if !session_id.is_empty() => {
            bullseye_delivery_key(organization_id.unwrap_or(""), event_type, session_id)
        }
        _ => body_delivery_key(body),
    }
}

/// The key of a visit whose id is `id` and whose body is `body`.
pub(crate) fn visit_key(id: Option<&str>, body: &[u8]) -> String {
    match id {
        Some(id) if !id.is_empty() => visit_delivery_key(id),
        _ => body_delivery_key(body),
    }
}

// ---------------------------------------------------------------------------
// The claim protocol
// ---------------------------------------------------------------------------

/// What a claim on a delivery key found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Nobody had it: it is now claimed with `token` for the lease. Handle
    /// the delivery, then complete (on success) or release (on failure)
    /// with this token.
    New {
        /// The claim's token (see [`new_claim_token`]).
        token: String,
    },
    /// It was handled already: answer 200 `{"duplicate": true}` without
    /// handling it.
    Duplicate,
    /// Another worker holds it: answer 409 `{"error": "delivery_in_flight"}`
    /// with `Retry-After` ([`Claim::retry_after_secs`]).
    InFlight {
        /// What remains of the other worker's lease.
        retry_after: Duration,
    },
}

impl Claim {
    /// The claim a [`REDIS_CLAIM_SCRIPT`] reply stands for, `token` being
    /// the token the script was given. An unknown reply is a store error.
    pub fn from_redis_reply(reply: i64, token: String) -> Result<Claim, StoreError> {
        match reply {
            0 => Ok(Claim::New { token }),
            -1 => Ok(Claim::Duplicate),
            n if n > 0 => Ok(Claim::InFlight {
                retry_after: Duration::from_millis(n.unsigned_abs()),
            }),
            n => Err(StoreError::new(format!(
                "the claim script replied {n}, which is not 0, -1 or a positive lease"
            ))),
        }
    }

    /// For [`Claim::InFlight`], the `Retry-After` to answer (see
    /// [`retry_after_secs`]).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Claim::InFlight { retry_after } => Some(retry_after_secs(millis(*retry_after))),
            _ => None,
        }
    }
}

/// The `Retry-After` (whole seconds) for a lease with `remaining_ms`
/// milliseconds left: rounded up, and at least 1.
pub fn retry_after_secs(remaining_ms: u64) -> u64 {
    remaining_ms.div_ceil(1000).max(1)
}

/// A duration in whole milliseconds, at least 1 (Redis refuses `PX 0`),
/// saturating at `u64::MAX`.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// What completing a claim did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completion {
    /// The claim was still held: the key is now done for the retention.
    Done,
    /// The claim's lease had expired and nobody had taken the key since: it
    /// is now done for the retention (a handler slower than the lease).
    LeaseExpired,
    /// Another worker's claim (taken after this lease expired) or a done mark
    /// is there; it was left untouched.
    NotHeld,
}

impl Completion {
    /// The completion a [`REDIS_COMPLETE_SCRIPT`] reply stands for.
    pub fn from_redis_reply(reply: i64) -> Result<Completion, StoreError> {
        match reply {
            1 => Ok(Completion::Done),
            2 => Ok(Completion::LeaseExpired),
            0 => Ok(Completion::NotHeld),
            n => Err(StoreError::new(format!(
                "the complete script replied {n}, which is not 0, 1 or 2"
            ))),
        }
    }
}

/// A store that could not be reached or did not answer in time (or, for
/// the [`MemoryStore`], is full of claims in flight). Integrations answer
/// 503 `{"error": "store_unavailable"}` with `Retry-After`
/// ([`STORE_RETRY_AFTER_SECS`]), so the sender retries and nothing is lost.
///
/// Its message describes the failure, never a key's or a token's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A store error with this description.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// Always [`STORE_UNAVAILABLE`].
    pub fn code(&self) -> &'static str {
        STORE_UNAVAILABLE
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{STORE_UNAVAILABLE}: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

/// A store of delivery claims: the three calls of the protocol. Every call
/// is bounded in time; a store that cannot answer returns [`StoreError`].
pub trait DeliveryStore {
    /// Claim `key` for `lease` (atomically: of two workers claiming one key,
    /// one gets [`Claim::New`]).
    fn claim(&self, key: &str, lease: Duration) -> Result<Claim, StoreError>;
    /// Mark `key` done for `retention`, if `token`'s claim holds it or it is
    /// free; never touches another token's claim.
    fn complete(
        &self,
        key: &str,
        token: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError>;
    /// Delete `token`'s claim on `key`, so a retry is handled; `false` (and
    /// nothing changed) when the key is free, done, or another token's claim.
    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError>;
}

/// The body of the 200 answered for a duplicate (the handler is not called).
pub const DUPLICATE_ANSWER: &str = r#"{"duplicate":true}"#;
/// The body of the 409 answered for a delivery in flight.
pub const IN_FLIGHT_ANSWER: &str = r#"{"error":"delivery_in_flight"}"#;
/// The body of the 503 answered when the store is unavailable.
pub const STORE_UNAVAILABLE_ANSWER: &str = r#"{"error":"store_unavailable"}"#;

/// What to do when the store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnStoreError {
    /// Answer 503 with `Retry-After`: the sender retries, nothing is handled
    /// twice and nothing is lost (the default).
    #[default]
    Refuse,
    /// Call the handler without de-duplication (and report the error):
    /// for receivers that prefer a duplicate to a delay.
    Process,
}

/// How [`handle_once`] de-duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupeOptions {
    lease: Duration,
    retention: Duration,
    on_store_error: OnStoreError,
}

impl Default for DedupeOptions {
    fn default() -> Self {
        Self {
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            on_store_error: OnStoreError::Refuse,
        }
    }
}

impl DedupeOptions {
    /// How long a claim holds a delivery (default [`DEFAULT_LEASE`]); longer
    /// than the handler takes, or a retry may run while it still works.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a handled delivery is remembered (default
    /// [`DEFAULT_RETENTION`]).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// What to do when the store cannot be reached (default
    /// [`OnStoreError::Refuse`]).
    pub fn with_on_store_error(mut self, on_store_error: OnStoreError) -> Self {
        self.on_store_error = on_store_error;
        self
    }

    /// How long a claim holds a delivery.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// How long a handled delivery is remembered.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// What to do when the store cannot be reached.
    pub fn on_store_error(&self) -> OnStoreError {
        self.on_store_error
    }
}

/// What [`handle_once`] did, and so what to answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled<T, E> {
    /// The handler ran and succeeded: answer as it says (2xx). `store_error`
    /// is a store failure to log: marking it done failed (a retry may be
    /// handled again), or with [`OnStoreError::Process`] the claim failed
    /// and the handler ran without de-duplication.
    Done {
        /// The handler's value.
        value: T,
        /// A store failure to log, if any.
        store_error: Option<StoreError>,
    },
    /// The handler failed: its claim was released so the sender's retry is
    /// handled; answer as the error says (non-2xx). `store_error`: the
    /// release failed (the retry waits for the lease to end).
    Failed {
        /// The handler's error.
        error: E,
        /// A store failure to log, if any.
        store_error: Option<StoreError>,
    },
    /// Handled before: answer 200 [`DUPLICATE_ANSWER`]; the handler was not called.
    Duplicate,
    /// Another worker holds it: answer 409 [`IN_FLIGHT_ANSWER`] with
    /// `Retry-After: retry_after_secs`; the handler was not called.
    InFlight {
        /// The `Retry-After`, in whole seconds (at least 1).
        retry_after_secs: u64,
    },
    /// The store could not be reached: answer 503 [`STORE_UNAVAILABLE_ANSWER`]
    /// with `Retry-After:` [`STORE_RETRY_AFTER_SECS`]; the handler was not called.
    StoreUnavailable(StoreError),
}

/// An answer the protocol itself gives (the handler was not called).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: &'static str,
    /// The `Retry-After` header's seconds, if any.
    pub retry_after_secs: Option<u64>,
}

impl<T, E> Handled<T, E> {
    /// The answer for [`Handled::Duplicate`], [`Handled::InFlight`] and
    /// [`Handled::StoreUnavailable`]; `None` when the handler ran (answer
    /// as it decided).
    pub fn answer(&self) -> Option<Answer> {
        match self {
            Handled::Done { .. } | Handled::Failed { .. } => None,
            Handled::Duplicate => Some(Answer {
                status: 200,
                body: DUPLICATE_ANSWER,
                retry_after_secs: None,
            }),
            Handled::InFlight { retry_after_secs } => Some(Answer {
                status: 409,
                body: IN_FLIGHT_ANSWER,
                retry_after_secs: Some(*retry_after_secs),
            }),
            Handled::StoreUnavailable(_) => Some(Answer {
                status: 503,
                body: STORE_UNAVAILABLE_ANSWER,
                retry_after_secs: Some(STORE_RETRY_AFTER_SECS),
            }),
        }
    }
}

/// Handle the delivery of `key` at most once across every receiver that
/// shares `store`: claim it; when new, call `handler`, then complete the
/// claim on `Ok` or release it on `Err`. See [`Handled`] for the answers.
pub fn handle_once<S, T, E>(
    store: &S,
    key: &str,
    options: DedupeOptions,
    handler: impl FnOnce() -> Result<T, E>,
) -> Handled<T, E>
where
    S: DeliveryStore + ?Sized,
{
    let token = match store.claim(key, options.lease) {
        Ok(Claim::New { token }) => token,
        Ok(Claim::Duplicate) => return Handled::Duplicate,
        Ok(claim @ Claim::InFlight { .. }) => {
            return Handled::InFlight {
                retry_after_secs: claim.retry_after_secs().unwrap_or(1),
            };
        }
        Err(error) => {
            return match options.on_store_error {
                OnStoreError::Refuse => Handled::StoreUnavailable(error),
                OnStoreError::Process => match handler() {
                    Ok(value) => Handled::Done {
                        value,
                        store_error: Some(error),
                    },
                    Err(failure) => Handled::Failed {
                        error: failure,
                        store_error: Some(error),
                    },
                },
            };
        }
    };
    match handler() {
        Ok(value) => Handled::Done {
            value,
            store_error: store.complete(key, &token, options.retention).err(),
        },
        Err(error) => Handled::Failed {
            error,
            store_error: store.release(key, &token).err(),
        },
    }
}

/// A new claim token: 128 bits from the operating system's random number
/// generator, as 32 lowercase hex digits.
#[cfg(not(target_arch = "wasm32"))]
pub fn new_claim_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::new(format!("the OS random number generator failed: {e}")))?;
    Ok(to_hex(&bytes))
}

#[cfg(not(target_arch = "wasm32"))]
mod memory;
#[cfg(not(target_arch = "wasm32"))]
pub use memory::{DEFAULT_MEMORY_CAPACITY, MemoryStore};
