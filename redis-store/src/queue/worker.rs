//! The processing half: a worker of the consumer group.

use std::fmt;
use std::time::Duration;

use bullseye_webhooks::delivery::{Claim, DeliveryStore, body_hash, millis};
use bullseye_webhooks::queue::{
    DEFAULT_CLAIM_IDLE_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_DELAY_MS,
    DEFAULT_QUEUE_LEASE_MS, DEFAULT_RETRY_DELAY_MS, QUEUE_RUN_KEY_PREFIX, retry_delay_ms,
};
use bullseye_webhooks::{Envelope, Event};

use super::{EnvelopeVerifier, Message, QueueError, RedisStreamQueue};

/// The processing half (see the module's documentation). `handler` gets
/// each verified event; an `Err` is retried (its `Display` is the reason).
pub struct QueueWorker<'a, V: ?Sized, S: ?Sized> {
    verifier: &'a V,
    queue: &'a RedisStreamQueue,
    store: &'a S,
    /// This worker's consumer name in the group.
    pub consumer: String,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: u32,
    /// The first retry's delay (doubling per attempt).
    pub retry_delay: Duration,
    /// The longest retry delay.
    pub max_retry_delay: Duration,
    /// How long a message stays with a silent worker before it is taken over.
    pub claim_idle: Duration,
    /// The lease of a claim the worker takes itself.
    pub lease: Duration,
    /// How long a done mark is kept.
    pub retention: Duration,
    /// How long a read waits for new messages.
    pub block: Duration,
}

impl<'a, V: EnvelopeVerifier + ?Sized, S: DeliveryStore + ?Sized> QueueWorker<'a, V, S> {
    /// A worker with the core's defaults, named `consumer`.
    pub fn new(
        verifier: &'a V,
        queue: &'a RedisStreamQueue,
        store: &'a S,
        consumer: impl Into<String>,
    ) -> Self {
        Self {
            verifier,
            queue,
            store,
            consumer: consumer.into(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_delay: Duration::from_millis(DEFAULT_RETRY_DELAY_MS),
            max_retry_delay: Duration::from_millis(DEFAULT_MAX_RETRY_DELAY_MS),
            claim_idle: Duration::from_millis(DEFAULT_CLAIM_IDLE_MS),
            lease: Duration::from_millis(DEFAULT_QUEUE_LEASE_MS),
            retention: bullseye_webhooks::delivery::DEFAULT_RETENTION,
            block: Duration::from_secs(1),
        }
    }

    /// One round: due retries back, idle messages taken over, new ones
    /// read; each processed with `handler`. How many were processed.
    pub fn run_once<E: fmt::Display>(
        &self,
        handler: &mut impl FnMut(&Event) -> Result<(), E>,
    ) -> Result<usize, QueueError> {
        self.queue.promote(100)?;
        let mut messages = self.queue.reclaim(&self.consumer, self.claim_idle, 10)?;
        if messages.is_empty() {
            messages = self.queue.read(&self.consumer, 10, self.block)?;
        }
        for message in &messages {
            self.process(message, handler)?;
        }
        Ok(messages.len())
    }

    /// Process one message: "handled", "duplicate", "retry", "dead" or "gone".
    pub fn process<E: fmt::Display>(
        &self,
        message: &Message,
        handler: &mut impl FnMut(&Event) -> Result<(), E>,
    ) -> Result<&'static str, QueueError> {
        if message.deliveries > u64::from(self.max_attempts) {
            let reason = format!(
                "lost by workers {} times (crashed or too slow)",
                message.deliveries
            );
            return self.dead(message, &reason, None, None);
        }
        let envelope = match Envelope::from_json(
            message.envelope.as_bytes(),
            self.verifier.max_body_bytes(),
        ) {
            Ok(envelope) => envelope,
            Err(error) => return self.dead(message, &error.to_string(), None, None),
        };
        let key = envelope.key();
        let event = match self.verifier.open(&envelope) {
            Ok(event) => event,
            Err(error) => {
                return self.dead(message, &error.to_string(), Some(key), Some(&message.token));
            }
        };
        let hash = body_hash(envelope.body().as_bytes());
        let token = match self.store.claim(key, &hash, self.lease) {
            Ok(Claim::Conflict { stored_hash, .. }) => {
                // Another body holds the key: kept in the dead letters with
                // both hashes, never run and never dropped.
                let reason =
                    format!("delivery_conflict: body {hash}, the store holds {stored_hash}");
                return self.dead(message, &reason, Some(key), None);
            }
            Ok(Claim::Duplicate) => {
                // Done before (a worker died between its done mark and its ack).
                self.queue.ack(message)?;
                return Ok("duplicate");
            }
            Ok(Claim::New { token }) => token, // the receiver's lease had ended
            Ok(_) => message.token.clone(),
            Err(error) => return self.retry(message, &error.to_string(), key, &message.token),
        };
        // One worker at a time per delivery (a message queued twice, or
        // taken over from a worker still running), as in Python and Node.
        let run_key = format!("{QUEUE_RUN_KEY_PREFIX}{key}");
        let run_token = match self.store.claim(&run_key, &hash, self.claim_idle) {
            Ok(Claim::New { token }) => token,
            Ok(_) => {
                let reason = "another worker is handling this delivery now";
                return self.retry(message, reason, key, &token);
            }
            Err(error) => return self.retry(message, &error.to_string(), key, &token),
        };
        let handled = handler(&event);
        if handled.is_ok() {
            // The handler ran: acknowledged even if the done mark fails
            // (then a copy arriving after the lease may run again).
            let _ = self.store.complete(key, &token, &hash, self.retention);
        }
        let _ = self.store.release(&run_key, &run_token);
        if let Err(error) = handled {
            return self.retry(message, &error.to_string(), key, &token);
        }
        self.queue.ack(message)?;
        Ok("handled")
    }

    fn retry(
        &self,
        message: &Message,
        reason: &str,
        key: &str,
        token: &str,
    ) -> Result<&'static str, QueueError> {
        let delay = retry_delay_ms(
            message.attempt,
            millis(self.retry_delay),
            millis(self.max_retry_delay),
        );
        let outcome = self.queue.fail(
            message,
            reason,
            self.max_attempts,
            Duration::from_millis(delay),
        )?;
        if outcome == "dead" {
            let _ = self.store.release(key, token);
        }
        Ok(outcome)
    }

    fn dead(
        &self,
        message: &Message,
        reason: &str,
        key: Option<&str>,
        token: Option<&str>,
    ) -> Result<&'static str, QueueError> {
        let outcome = self.queue.fail(message, reason, 0, Duration::ZERO)?;
        if let (Some(key), Some(token), "dead") = (key, token, outcome) {
            let _ = self.store.release(key, token);
        }
        Ok(outcome)
    }
}
