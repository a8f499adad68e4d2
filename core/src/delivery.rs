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
//!   `Retry-After`;
//! - [`Claim::Conflict`]: the key was seen with a different body (the
//!   store keeps the [`body_hash`] with each claim and done mark); answer
//!   409 `delivery_conflict`, or handle it under its own key
//!   ([`conflict_key`]) when the receiver chose to.
//!
//! A claim is a lease: a crashed worker's claim expires. Completing and
//! releasing take the claim's token, and never touch another worker's claim.
//!
//! "Once" covers the claim, not the handler's side effects: a worker that
//! dies after its handler's side effect and before its done mark leaves a
//! claim that expires, and a retry after the lease runs the handler again.
//! An idempotent handler (keyed by the delivery key), or the queue hand-off,
//! closes that window.

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
/// The start of the Redis value of a handled delivery, followed by its body
/// hash (`done:{hash}`); a claim's value is `w:{token}:{hash}`. Values of
/// the format before the hash (`done`, `w:{token}`) are read as an unknown
/// hash: the same body.
pub const REDIS_DONE_VALUE: &str = "done";
/// The Lua script that claims a key. `KEYS[1]` the prefixed delivery key,
/// `ARGV[1]` the claim token, `ARGV[2]` the lease in milliseconds (at least
/// 1), `ARGV[3]` the [`body_hash`]. Replies `{code, stored hash}`: `0` (new:
/// the key now holds `w:{token}:{hash}` for the lease), `-1` (duplicate),
/// `-2` / `-3` (conflict: done / in flight with the other body whose hash
/// is the second element), or `n > 0` (in flight: another claim holds it
/// for `n` more milliseconds). See [`Claim::from_redis_reply`].
pub const REDIS_CLAIM_SCRIPT: &str = include_str!("delivery/claim.lua");
/// The Lua script that marks a claimed key done. `KEYS[1]` the prefixed
/// delivery key, `ARGV[1]` the claim token, `ARGV[2]` the retention in
/// milliseconds (at least 1), `ARGV[3]` the [`body_hash`]. Replies `1` (this claim was marked done), `2`
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
/// The error code of the 409 answered for a delivery whose key was seen
/// with a different body.
pub const DELIVERY_CONFLICT: &str = "delivery_conflict";

/// The hash kept with a delivery's claim and done mark, so that the same
/// key with a different body is told apart: the lowercase hex SHA-256 of
/// the raw body (64 characters). Computed once per delivery, here.
pub fn body_hash(body: &[u8]) -> String {
    to_hex(&Sha256::digest(body))
}

/// The key under which a delivery whose key conflicts is handled when the
/// receiver chose to process conflicts: `{key}#{body_hash}` (`#` is never
/// in a key), so each different body is de-duplicated on its own.
pub fn conflict_key(key: &str, body_hash: &str) -> String {
    format!("{key}#{body_hash}")
}

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
    /// The key was seen with a different body: answer 409
    /// `{"error": "delivery_conflict"}` (or handle it under
    /// [`conflict_key`], where the receiver chose that).
    Conflict {
        /// The hash of the body the store holds for the key.
        stored_hash: String,
        /// Whether that body's claim is in flight (else it is done).
        in_flight: bool,
    },
}

impl Claim {
    /// The claim a [`REDIS_CLAIM_SCRIPT`] reply `{reply, stored_hash}`
    /// stands for, `token` being the token the script was given. An unknown
    /// reply is a store error.
    pub fn from_redis_reply(
        reply: i64,
        stored_hash: &str,
        token: String,
    ) -> Result<Claim, StoreError> {
        match reply {
            0 => Ok(Claim::New { token }),
            -1 => Ok(Claim::Duplicate),
            -2 | -3 => Ok(Claim::Conflict {
                stored_hash: stored_hash.to_owned(),
                in_flight: reply == -3,
            }),
            n if n > 0 => Ok(Claim::InFlight {
                retry_after: Duration::from_millis(n.unsigned_abs()),
            }),
            n => Err(StoreError::new(format!(
                "the claim script replied {n}, which is not 0, -1, -2, -3 or a positive lease"
            ))),
        }
    }

    /// Whether the stored hash `stored` and a delivery's `body_hash` name
    /// different bodies. An empty hash is unknown (a record of the format
    /// before the hash, or a caller without one): never a conflict, read
    /// as the same body, so stores written by older receivers keep working.
    pub fn differs(stored: &str, body_hash: &str) -> bool {
        !stored.is_empty() && !body_hash.is_empty() && stored != body_hash
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
///
/// `body_hash` is the delivery's [`body_hash`], kept with the claim and the
/// done mark: a claim of the key with another hash is [`Claim::Conflict`].
///
/// A store whose call can time out after it was sent (a network store)
/// releases a claim that may have landed in the background, by its token,
/// so that a stall never leaves a claim nobody holds.
pub trait DeliveryStore {
    /// Claim `key` for `lease` (atomically: of two workers claiming one key,
    /// one gets [`Claim::New`]).
    fn claim(&self, key: &str, body_hash: &str, lease: Duration) -> Result<Claim, StoreError>;
    /// Mark `key` done (with `body_hash`) for `retention`, if `token`'s
    /// claim holds it or it is free; never touches another token's claim.
    fn complete(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError>;
    /// Delete `token`'s claim on `key`, so a retry is handled; `false` (and
    /// nothing changed) when the key is free, done, or another token's claim.
    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError>;
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
#[cfg(not(target_arch = "wasm32"))]
mod cache;
#[cfg(not(target_arch = "wasm32"))]
pub use cache::{CachedStore, DEFAULT_CACHE_CAPACITY, RecentlyDone};
#[cfg(not(target_arch = "wasm32"))]
mod once;
#[cfg(not(target_arch = "wasm32"))]
pub use once::{
    Answer, CONFLICT_ANSWER, DUPLICATE_ANSWER, DedupeOptions, Handled, IN_FLIGHT_ANSWER,
    OnConflict, OnStoreError, STORE_UNAVAILABLE_ANSWER, handle_once,
};
