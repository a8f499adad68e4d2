//! The Redis Streams hand-off in Rust (blocking): the same stream, layout,
//! scripts and envelope as the Python and Node receivers and workers
//! (`bullseye_webhooks::queue`), so a Rust worker can share their stream.
//!
//! [`receive`] verifies a delivery, claims its key in any [`DeliveryStore`](bullseye_webhooks::delivery::DeliveryStore),
//! adds its envelope to the stream and answers 202; a [`QueueWorker`] reads
//! the stream in a consumer group, opens each envelope (verified again, any
//! tolerance counted from received-at), checks the claim (done before:
//! nothing runs), runs the handler, marks the key done and acknowledges;
//! failures are retried after the core's backoff and dead-lettered after
//! the most attempts, and a crashed worker's messages are taken over after
//! an idle time (`XAUTOCLAIM`). Bullseye events and Bitnob deliveries
//! (visits: Python and Node).

use std::fmt;
use std::time::SystemTime;

use bullseye_webhooks::{BitnobWebhook, Envelope, Error, Event, OpenError, Webhook};

mod receive;
mod stream;
mod worker;

pub use receive::{QueueAnswer, receive};
pub use stream::{Message, RedisStreamQueue};
pub use worker::QueueWorker;

/// The code of a [`QueueError`].
pub const QUEUE_UNAVAILABLE: &str = "queue_unavailable";

/// The stream could not be reached or did not answer in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueError {
    message: String,
    maybe_sent: bool,
}

impl QueueError {
    /// Always [`QUEUE_UNAVAILABLE`].
    pub fn code(&self) -> &'static str {
        QUEUE_UNAVAILABLE
    }

    /// False only when the command surely never reached Redis (no
    /// connection); after a timeout or a connection lost mid-command it may
    /// have been carried out.
    pub fn maybe_sent(&self) -> bool {
        self.maybe_sent
    }
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{QUEUE_UNAVAILABLE}: {}", self.message)
    }
}

impl std::error::Error for QueueError {}

fn queue_error(action: &str, error: &redis::RedisError, maybe_sent: bool) -> QueueError {
    QueueError {
        message: format!("redis {action}: {error}"),
        maybe_sent: maybe_sent && !error.is_connection_refusal(),
    }
}

/// A verifier that makes and opens envelopes: [`Webhook`] (Bullseye
/// events) and [`BitnobWebhook`].
pub trait EnvelopeVerifier {
    /// The body size limit, which bounds an envelope's length.
    fn max_body_bytes(&self) -> usize;
    /// Verify a request and make its envelope (see the core's `make_envelope`).
    fn make<'a>(
        &self,
        body: &[u8],
        headers: &[(&'a str, &'a str)],
        received_at: SystemTime,
    ) -> Result<Envelope, Error>;
    /// Verify an envelope's delivery again (see the core's `open_envelope`).
    fn open(&self, envelope: &Envelope) -> Result<Event, OpenError>;
}

// Both verifiers have the same envelope methods, by the same names.
macro_rules! envelope_verifier {
    ($verifier:ty) => {
        impl EnvelopeVerifier for $verifier {
            fn max_body_bytes(&self) -> usize {
                <$verifier>::max_body_bytes(self)
            }
            fn make<'a>(
                &self,
                body: &[u8],
                headers: &[(&'a str, &'a str)],
                at: SystemTime,
            ) -> Result<Envelope, Error> {
                self.make_envelope(body, headers.iter().copied(), at)
            }
            fn open(&self, envelope: &Envelope) -> Result<Event, OpenError> {
                self.open_envelope(envelope)
            }
        }
    };
}
envelope_verifier!(Webhook);
envelope_verifier!(BitnobWebhook);
