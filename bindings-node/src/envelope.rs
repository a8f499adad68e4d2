//! The queue envelope and the Redis Streams hand-off's layout, for
//! `queue.js`: the core's envelope form, read and written here; the
//! package's own verifiers check the delivery (argument conversion and
//! error mapping only).

use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::queue;
use bullseye_webhooks::{Envelope, EnvelopeError, EnvelopeScheme};
use napi::bindgen_prelude::{BufferSlice, Either};
use napi_derive::napi;

use crate::{Code, Result, bytes};

fn invalid(error: EnvelopeError) -> napi::Error<Code> {
    napi::Error::new(Code(error.code().to_owned()), error.to_string())
}

fn scheme_of(name: &str) -> Result<EnvelopeScheme> {
    EnvelopeScheme::from_name(name).ok_or_else(|| {
        napi::Error::new(
            Code("invalid_envelope".to_owned()),
            "invalid_envelope: the scheme is not bullseye_event, visit or bitnob".to_owned(),
        )
    })
}

/// An envelope's JSON, checked and in the one form (as the core writes it).
#[napi(js_name = "envelopeRead")]
pub fn envelope_read(data: Either<BufferSlice<'_>, String>, max_body_bytes: f64) -> Result<String> {
    let max = if max_body_bytes.is_finite() && max_body_bytes >= 0.0 {
        max_body_bytes as usize
    } else {
        bullseye_webhooks::DEFAULT_MAX_BODY_BYTES
    };
    Envelope::from_json(bytes(&data), max)
        .map(|envelope| envelope.to_json())
        .map_err(invalid)
}

/// The JSON of the envelope of a delivery the package's verifier accepted:
/// `flat` the request's headers as `[name, value, ...]` (the scheme's kept).
#[napi(js_name = "envelopeFromVerified")]
pub fn envelope_from_verified(
    scheme: String,
    key: String,
    received_at_ms: f64,
    flat: Vec<String>,
    body: Either<BufferSlice<'_>, String>,
) -> Result<String> {
    let at = UNIX_EPOCH + Duration::from_millis(received_at_ms.max(0.0).round() as u64);
    let pairs = flat.chunks_exact(2).filter_map(|pair| match pair {
        [name, value] => Some((name.as_str(), value.as_str())),
        _ => None,
    });
    Envelope::from_verified(scheme_of(&scheme)?, &key, at, pairs, bytes(&body))
        .map(|envelope| envelope.to_json())
        .map_err(invalid)
}

/// Whether the envelope `data`, opened as `scheme` into a delivery keyed
/// `key`, fits it (the same scheme and key); throws `invalid_envelope`.
#[napi(js_name = "envelopeCheckOpened")]
pub fn envelope_check_opened(data: String, scheme: String, key: String) -> Result<()> {
    let envelope = Envelope::from_json(data.as_bytes(), usize::MAX / 8).map_err(invalid)?;
    envelope
        .check_opened(scheme_of(&scheme)?, &key)
        .map_err(invalid)
}

/// The Redis Streams hand-off's defaults and scripts.
#[napi(object)]
pub struct QueueLayout {
    /// The default stream.
    pub stream: String,
    /// The default consumer group.
    pub group: String,
    /// The retry set's suffix.
    pub retry_suffix: String,
    /// The dead-letter stream's suffix.
    pub dead_suffix: String,
    /// The receiver's lease, in milliseconds.
    pub lease_ms: f64,
    /// The most attempts.
    pub max_attempts: u32,
    /// The first retry delay, in milliseconds.
    pub retry_delay_ms: f64,
    /// The longest retry delay, in milliseconds.
    pub max_retry_delay_ms: f64,
    /// The idle time after which a message is taken over, in milliseconds.
    pub claim_idle_ms: f64,
    /// The script that retries or dead-letters a failed message.
    pub fail_script: String,
    /// The script that moves due retries back onto the stream.
    pub promote_script: String,
    /// The script that acknowledges and deletes a handled message.
    pub ack_script: String,
    /// The prefix of the store key a worker claims while it runs a handler.
    pub run_key_prefix: String,
}

/// The Redis Streams hand-off's defaults and scripts.
#[napi(js_name = "queueLayout")]
pub fn queue_layout() -> QueueLayout {
    QueueLayout {
        stream: queue::DEFAULT_QUEUE_STREAM.to_owned(),
        group: queue::DEFAULT_QUEUE_GROUP.to_owned(),
        retry_suffix: queue::RETRY_SET_SUFFIX.to_owned(),
        dead_suffix: queue::DEAD_LETTER_SUFFIX.to_owned(),
        lease_ms: queue::DEFAULT_QUEUE_LEASE_MS as f64,
        max_attempts: queue::DEFAULT_MAX_ATTEMPTS,
        retry_delay_ms: queue::DEFAULT_RETRY_DELAY_MS as f64,
        max_retry_delay_ms: queue::DEFAULT_MAX_RETRY_DELAY_MS as f64,
        claim_idle_ms: queue::DEFAULT_CLAIM_IDLE_MS as f64,
        fail_script: queue::QUEUE_FAIL_SCRIPT.to_owned(),
        promote_script: queue::QUEUE_PROMOTE_SCRIPT.to_owned(),
        ack_script: queue::QUEUE_ACK_SCRIPT.to_owned(),
        run_key_prefix: queue::QUEUE_RUN_KEY_PREFIX.to_owned(),
    }
}

/// The delay before the next attempt after attempt `attempt` (from 1) failed, in milliseconds.
#[napi(js_name = "retryDelayMs")]
pub fn retry_delay_ms(attempt: u32, first_ms: f64, max_ms: f64) -> f64 {
    queue::retry_delay_ms(attempt, first_ms.max(0.0) as u64, max_ms.max(0.0) as u64) as f64
}
