//! The stream itself: adding envelopes, reading them in the consumer group,
//! retries, dead letters and acknowledgements, and reading Redis's replies.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bullseye_webhooks::Envelope;
use bullseye_webhooks::delivery::millis;
use bullseye_webhooks::queue::{
    DEAD_LETTER_SUFFIX, DEFAULT_QUEUE_GROUP, DEFAULT_QUEUE_STREAM, QUEUE_ACK_SCRIPT,
    QUEUE_FAIL_SCRIPT, QUEUE_PROMOTE_SCRIPT, RETRY_SET_SUFFIX,
};
use redis::Value;

use super::{QueueError, queue_error};

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
