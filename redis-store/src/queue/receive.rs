//! The receiving half: verify, claim, queue, answer.

use std::time::{Duration, SystemTime};

use bullseye_webhooks::delivery::{Claim, DeliveryStore, body_hash};
use bullseye_webhooks::queue::DEFAULT_QUEUE_LEASE_MS;

use super::{EnvelopeVerifier, RedisStreamQueue};

/// What the receiver answers: the status, the JSON body and a `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// The `Retry-After` header's seconds, if any.
    pub retry_after_secs: Option<u64>,
}

/// The receiving half: verify the delivery (refusal: its status and
/// `{"error": code}`), claim its key in `store` for `lease` (default
/// [`DEFAULT_QUEUE_LEASE_MS`]), add its envelope to `queue`, answer 202
/// `{"queued":true}`. A duplicate is 200, a claim held 409 with
/// `Retry-After`, a store or queue down 503 (the claim then released).
pub fn receive<V: EnvelopeVerifier + ?Sized, S: DeliveryStore + ?Sized>(
    verifier: &V,
    queue: &RedisStreamQueue,
    store: &S,
    body: &[u8],
    headers: &[(&str, &str)],
    lease: Option<Duration>,
) -> QueueAnswer {
    let answer = |status, body: &str, retry_after_secs| QueueAnswer {
        status,
        body: body.to_owned(),
        retry_after_secs,
    };
    let envelope = match verifier.make(body, headers, SystemTime::now()) {
        Ok(envelope) => envelope,
        Err(error) => {
            let body = format!(r#"{{"error":"{}"}}"#, error.code());
            return answer(error.http_status(), &body, None);
        }
    };
    let lease = lease.unwrap_or(Duration::from_millis(DEFAULT_QUEUE_LEASE_MS));
    let hash = body_hash(envelope.body().as_bytes());
    let token = match store.claim(envelope.key(), &hash, lease) {
        Ok(Claim::New { token }) => token,
        Ok(Claim::Duplicate) => return answer(200, r#"{"duplicate":true}"#, None),
        // The key was seen with another body (the hashes are the caller's
        // to log: never the body).
        Ok(Claim::Conflict { .. }) => return answer(409, r#"{"error":"delivery_conflict"}"#, None),
        Ok(claim) => {
            let after = claim.retry_after_secs().unwrap_or(1);
            return answer(409, r#"{"error":"delivery_in_flight"}"#, Some(after));
        }
        Err(_) => return answer(503, r#"{"error":"store_unavailable"}"#, Some(30)),
    };
    if let Err(error) = queue.enqueue(&envelope, &token) {
        // A message that may be in the stream keeps its claim (a copy must
        // not be queued twice): it ends with a worker's done mark or the lease.
        if !error.maybe_sent() {
            let _ = store.release(envelope.key(), &token);
        }
        return answer(503, r#"{"error":"queue_unavailable"}"#, Some(30));
    }
    answer(202, r#"{"queued":true}"#, None)
}
