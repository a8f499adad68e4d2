//! The Redis Streams hand-off every language runs: the stream's layout, the
//! defaults, the retry delay, and the Lua scripts that settle a message.
//!
//! A receiver verifies a delivery, claims its key (see [`crate::delivery`])
//! for [`DEFAULT_QUEUE_LEASE_MS`], and adds one message to the stream with
//! the fields `envelope` (the [`crate::Envelope`]'s JSON), `token` (the
//! claim's) and `attempt` (`1`). Workers read it in one consumer group,
//! open the envelope (verifying it again), run the handler, complete the
//! claim, and acknowledge the message ([`QUEUE_ACK_SCRIPT`]). A handler
//! that fails is scheduled again after [`retry_delay_ms`] in a sorted set
//! (the stream's name + [`RETRY_SET_SUFFIX`]), from which
//! [`QUEUE_PROMOTE_SCRIPT`] moves it back when due, with `attempt` one more
//! and `last_error`; after the most attempts it goes to the dead-letter
//! stream (+ [`DEAD_LETTER_SUFFIX`]) with `attempts`, `reason`,
//! `failed_at_ms` and `message_id` ([`QUEUE_FAIL_SCRIPT`]). A message a
//! crashed worker held is taken over by another after
//! [`DEFAULT_CLAIM_IDLE_MS`] of idleness (`XAUTOCLAIM`).

/// The default stream. The braces are a Redis Cluster hash tag, so the
/// stream, its retry set and its dead letters live on one node.
pub const DEFAULT_QUEUE_STREAM: &str = "bullseye-webhooks:{queue}";
/// The default consumer group.
pub const DEFAULT_QUEUE_GROUP: &str = "bullseye-webhooks";
/// The retry set's name: the stream's, then this.
pub const RETRY_SET_SUFFIX: &str = ":retry";
/// The dead-letter stream's name: the stream's, then this.
pub const DEAD_LETTER_SUFFIX: &str = ":dead";
/// The lease a receiver claims a queued delivery for: 10 minutes, which
/// covers the retries and a crashed worker's take-over, and ends before
/// Bullseye's last retry (about 30 minutes), so a receiver that dies
/// between its claim and its enqueue loses nothing.
pub const DEFAULT_QUEUE_LEASE_MS: u64 = 10 * 60 * 1000;
/// How many times a handler is tried before the message is dead-lettered.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// The first retry's delay; each next one doubles.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 1000;
/// The longest retry delay.
pub const DEFAULT_MAX_RETRY_DELAY_MS: u64 = 60_000;
/// How long a message stays with a worker that neither acknowledged nor
/// failed it before another worker takes it over: longer than the slowest
/// handler, or a slow handler's message runs twice.
pub const DEFAULT_CLAIM_IDLE_MS: u64 = 60_000;

/// The store key a worker claims while it runs a delivery's handler (this,
/// then the delivery key), for as long as a message stays with a silent
/// worker: one worker at a time per delivery, even for a message queued
/// twice or taken over from a worker still running.
pub const QUEUE_RUN_KEY_PREFIX: &str = "queue-run:";

/// The script that schedules a failed message again or dead-letters it
/// (see its header for the keys, arguments and replies).
pub const QUEUE_FAIL_SCRIPT: &str = include_str!("queue/fail.lua");
/// The script that moves due retries back onto the stream.
pub const QUEUE_PROMOTE_SCRIPT: &str = include_str!("queue/promote.lua");
/// The script that acknowledges and deletes a handled message.
pub const QUEUE_ACK_SCRIPT: &str = include_str!("queue/ack.lua");

/// The delay before attempt `attempt + 1` after attempt `attempt` (from 1)
/// failed: `first_ms` doubled for each attempt past the first, at most
/// `max_ms`.
pub fn retry_delay_ms(attempt: u32, first_ms: u64, max_ms: u64) -> u64 {
    let doublings = attempt.saturating_sub(1).min(63);
    first_ms.saturating_mul(1u64 << doublings).min(max_ms)
}

#[cfg(test)]
mod tests {
    use super::retry_delay_ms;

    #[test]
    fn doubles_up_to_the_most() {
        let delays: Vec<u64> = (1..=8).map(|n| retry_delay_ms(n, 1000, 60_000)).collect();
        assert_eq!(
            delays,
            [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]
        );
        assert_eq!(retry_delay_ms(0, 250, 1000), 250);
        assert_eq!(retry_delay_ms(u32::MAX, 3, u64::MAX), u64::MAX);
    }
}
