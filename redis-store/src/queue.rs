//! The Redis Streams hand-off in Rust (blocking): the same stream, layout,
//! scripts and envelope as the Python and Node receivers and workers
//! (`bullseye_webhooks::queue`), so a Rust worker can share their stream.
//!
//! [`receive`] verifies a delivery, claims its key in any [`DeliveryStore`],
//! adds its envelope to the stream and answers 202; a [`QueueWorker`] reads
//! the stream in a consumer group, opens each envelope (verified again, any
//! tolerance counted from received-at), checks the claim (done before:
//! nothing runs), runs the handler, marks the key done and acknowledges;
//! failures are retried after the core's backoff and dead-lettered after
//! the most attempts, and a crashed worker's messages are taken over after
//! an idle time (`XAUTOCLAIM`). Bullseye events and Bitnob deliveries
//! (visits: Python and Node).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bullseye_webhooks::delivery::{Claim, DeliveryStore, body_hash, millis};
use bullseye_webhooks::queue::{
    DEAD_LETTER_SUFFIX, DEFAULT_CLAIM_IDLE_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_DELAY_MS,
    DEFAULT_QUEUE_GROUP, DEFAULT_QUEUE_LEASE_MS, DEFAULT_QUEUE_STREAM, DEFAULT_RETRY_DELAY_MS,
    QUEUE_ACK_SCRIPT, QUEUE_FAIL_SCRIPT, QUEUE_PROMOTE_SCRIPT, QUEUE_RUN_KEY_PREFIX,
    RETRY_SET_SUFFIX, retry_delay_ms,
};
use bullseye_webhooks::{BitnobWebhook, Envelope, Error, Event, OpenError, Webhook};
use redis::Value;

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

/// One message of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its stream id.
    pub id: String,
    /// The envelope's JSON.
    pub envelope: String,
    /// The receiver's claim token.
    pub token: String,
    /// This attempt, from 1.
    pub attempt: u32,
    /// How often the group delivered it (more than 1: a worker lost it).
    pub deliveries: u64,
}

/// A Redis stream and consumer group (blocking calls, each bounded by the
/// timeout; a read waits `block` more). Default stream
/// [`DEFAULT_QUEUE_STREAM`]; its retry set and dead letters add
/// [`RETRY_SET_SUFFIX`] and [`DEAD_LETTER_SUFFIX`].
pub struct RedisStreamQueue {
    client: redis::Client,
    stream: String,
    group: String,
    timeout: Duration,
    connection: Mutex<Option<redis::Connection>>,
    fail: redis::Script,
    promote: redis::Script,
    ack: redis::Script,
}

impl fmt::Debug for RedisStreamQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStreamQueue")
            .field("stream", &self.stream)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl RedisStreamQueue {
    /// A queue on `client`, with the default stream and group and a 5 s timeout.
    pub fn new(client: redis::Client) -> Self {
        Self {
            client,
            stream: DEFAULT_QUEUE_STREAM.to_owned(),
            group: DEFAULT_QUEUE_GROUP.to_owned(),
            timeout: Duration::from_secs(5),
            connection: Mutex::new(None),
            fail: redis::Script::new(QUEUE_FAIL_SCRIPT),
            promote: redis::Script::new(QUEUE_PROMOTE_SCRIPT),
            ack: redis::Script::new(QUEUE_ACK_SCRIPT),
        }
    }

    /// Another stream.
    pub fn with_stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = stream.into();
        self
    }

    /// Another consumer group.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The retry set's name.
    pub fn retry_set(&self) -> String {
        format!("{}{RETRY_SET_SUFFIX}", self.stream)
    }

    /// The dead-letter stream's name.
    pub fn dead_letters(&self) -> String {
        format!("{}{DEAD_LETTER_SUFFIX}", self.stream)
    }

    /// Run `call` on the queue's connection (opened when needed, dropped
    /// after a failure: it may hold a late reply).
    fn run<T>(
        &self,
        action: &str,
        extra: Duration,
        call: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, QueueError> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let bound = (self.timeout + extra).max(Duration::from_millis(1));
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(self.timeout.max(Duration::from_millis(1)))
                .map_err(|e| queue_error(action, &e, false))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(QueueError {
                message: "no connection".to_owned(),
                maybe_sent: false,
            });
        };
        let result = connection
            .set_read_timeout(Some(bound))
            .and_then(|()| call(connection));
        if result.is_err() {
            *slot = None;
        }
        result.map_err(|e| queue_error(action, &e, true))
    }

    /// Create the group (and the stream) unless it exists.
    pub fn ensure_group(&self) -> Result<(), QueueError> {
        let created: Result<(), QueueError> = self.run("XGROUP CREATE", Duration::ZERO, |c| {
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&self.stream)
                .arg(&self.group)
                .arg("0")
                .arg("MKSTREAM")
                .query(c)
        });
        match created {
            Err(error) if !error.message.contains("BUSYGROUP") => Err(error),
            _ => Ok(()),
        }
    }

    /// Add an envelope and its claim's token as attempt 1: the message id.
    pub fn enqueue(&self, envelope: &Envelope, token: &str) -> Result<String, QueueError> {
        let json = envelope.to_json();
        self.run("XADD", Duration::ZERO, |c| {
            redis::cmd("XADD")
                .arg(&self.stream)
                .arg("*")
                .arg("envelope")
                .arg(&json)
                .arg("token")
                .arg(token)
                .arg("attempt")
                .arg("1")
                .query(c)
        })
    }

    /// `call`, the group created again if Redis lost it (a restart).
    fn recreating_group<T>(
        &self,
        call: impl Fn() -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        match call() {
            Err(error) if error.message.contains("NOGROUP") => {
                self.ensure_group()?;
                call()
            }
            other => other,
        }
    }

    /// New messages for `consumer`, waiting up to `block`.
    pub fn read(
        &self,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Message>, QueueError> {
        let reply: Value = self.recreating_group(|| {
            self.run("XREADGROUP", block, |c| {
                redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(&self.group)
                    .arg(consumer)
                    .arg("COUNT")
                    .arg(count)
                    .arg("BLOCK")
                    .arg(millis(block))
                    .arg("STREAMS")
                    .arg(&self.stream)
                    .arg(">")
                    .query(c)
            })
        })?;
        Ok(stream_entries(&reply)
            .into_iter()
            .flat_map(messages)
            .collect())
    }

    /// Messages other consumers have held for `idle` or more, now
    /// `consumer`'s (`XAUTOCLAIM`), with how often each was delivered.
    pub fn reclaim(
        &self,
        consumer: &str,
        idle: Duration,
        count: usize,
    ) -> Result<Vec<Message>, QueueError> {
        let reply: Value = self.recreating_group(|| {
            self.run("XAUTOCLAIM", Duration::ZERO, |c| {
                redis::cmd("XAUTOCLAIM")
                    .arg(&self.stream)
                    .arg(&self.group)
                    .arg(consumer)
                    .arg(millis(idle))
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(count)
                    .query(c)
            })
        })?;
        let mut found = match &reply {
            Value::Array(parts) => parts.get(1).map(messages).unwrap_or_default(),
            _ => Vec::new(),
        };
        for message in &mut found {
            let pending: Value = self.run("XPENDING", Duration::ZERO, |c| {
                redis::cmd("XPENDING")
                    .arg(&self.stream)
                    .arg(&self.group)
                    .arg(&message.id)
                    .arg(&message.id)
                    .arg(1)
                    .query(c)
            })?;
            if let Value::Array(rows) = &pending
                && let Some(Value::Array(row)) = rows.first()
                && let Some(Value::Int(times)) = row.get(3)
            {
                message.deliveries = u64::try_from(*times).unwrap_or(1);
            }
        }
        Ok(found)
    }

    /// Move the due retries back onto the stream: how many.
    pub fn promote(&self, count: usize) -> Result<u64, QueueError> {
        self.run("promote", Duration::ZERO, |c| {
            self.promote
                .key(&self.stream)
                .key(self.retry_set())
                .arg(count)
                .invoke(c)
        })
    }

    /// Acknowledge and delete a settled message; false when another worker already did.
    pub fn ack(&self, message: &Message) -> Result<bool, QueueError> {
        let acked: i64 = self.run("ack", Duration::ZERO, |c| {
            self.ack
                .key(&self.stream)
                .arg(&self.group)
                .arg(&message.id)
                .invoke(c)
        })?;
        Ok(acked == 1)
    }

    /// Schedule the message again after `delay`, or (at `max_attempts`; 0:
    /// now) dead-letter it: "retry", "dead" or "gone" (another worker settled it).
    pub fn fail(
        &self,
        message: &Message,
        reason: &str,
        max_attempts: u32,
        delay: Duration,
    ) -> Result<&'static str, QueueError> {
        let reply: i64 = self.run("fail", Duration::ZERO, |c| {
            self.fail
                .key(&self.stream)
                .key(self.retry_set())
                .key(self.dead_letters())
                .arg(&self.group)
                .arg(&message.id)
                .arg(&message.envelope)
                .arg(&message.token)
                .arg(message.attempt)
                .arg(max_attempts)
                .arg(millis(delay))
                .arg(reason)
                .invoke(c)
        })?;
        Ok(match reply {
            1 => "retry",
            2 => "dead",
            _ => "gone",
        })
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

/// The entries of each stream of an XREADGROUP reply (RESP2 arrays or a RESP3 map).
fn stream_entries(reply: &Value) -> Vec<&Value> {
    match reply {
        Value::Array(streams) => streams
            .iter()
            .filter_map(|stream| match stream {
                Value::Array(pair) => pair.get(1),
                _ => None,
            })
            .collect(),
        Value::Map(pairs) => pairs.iter().map(|(_, entries)| entries).collect(),
        _ => Vec::new(),
    }
}

fn messages(entries: &Value) -> Vec<Message> {
    let Value::Array(entries) = entries else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let Value::Array(parts) = entry else {
                return None;
            };
            let id = text(parts.first()?)?;
            // A deleted entry still pending has no fields.
            let Value::Array(fields) = parts.get(1)? else {
                return None;
            };
            let mut message = Message {
                id,
                envelope: String::new(),
                token: String::new(),
                attempt: 1,
                deliveries: 1,
            };
            for pair in fields.chunks_exact(2) {
                let (Some(name), Some(value)) =
                    (pair.first().and_then(text), pair.get(1).and_then(text))
                else {
                    continue;
                };
                match name.as_str() {
                    "envelope" => message.envelope = value,
                    "token" => message.token = value,
                    "attempt" => message.attempt = value.parse().unwrap_or(1),
                    _ => {}
                }
            }
            Some(message)
        })
        .collect()
}

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
