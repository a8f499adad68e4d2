#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bullseye_webhooks::delivery::{
    Claim, Completion, DeliveryStore, REDIS_CLAIM_SCRIPT, REDIS_COMPLETE_SCRIPT, REDIS_KEY_PREFIX,
    REDIS_RELEASE_SCRIPT, StoreError, millis, new_claim_token,
};
pub use redis;

pub mod queue;

/// How long opening a connection may take before the call fails.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long Redis may take to answer one command before the call fails.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// How many idle connections [`RedisStore`] keeps for reuse.
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 16;

/// The three scripts, loaded once per server (`EVALSHA`, then `SCRIPT
/// LOAD` when the server does not know them, after a restart for example).
#[derive(Clone)]
struct Scripts {
    claim: redis::Script,
    complete: redis::Script,
    release: redis::Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            claim: redis::Script::new(REDIS_CLAIM_SCRIPT),
            complete: redis::Script::new(REDIS_COMPLETE_SCRIPT),
            release: redis::Script::new(REDIS_RELEASE_SCRIPT),
        }
    }
}

/// Where the delivery's key lives in Redis.
fn redis_key(prefix: &str, key: &str) -> String {
    let mut full = String::with_capacity(prefix.len() + key.len());
    full.push_str(prefix);
    full.push_str(key);
    full
}

/// Whether a failed call may still have reached the server (and so a claim
/// may still land): anything but a refused connection.
fn may_have_landed(error: &redis::RedisError) -> bool {
    !error.is_connection_refusal()
}

/// A claim whose answer did not come back may land later (Redis paused,
/// then resumed): it would hold the key for a whole lease with nobody to
/// complete it. It is released by its token (made here, so no other
/// worker's claim is touched), retried 50 ms, doubling to 1 s, until Redis
/// answers; an answer of "not held" is confirmed once more (the late claim
/// may come in just after), then the retries stop. They stop anyway after
/// the lease plus 30 s, when the claim would have ended on its own.
const LATE_FIRST_DELAY: Duration = Duration::from_millis(50);
const LATE_MAX_DELAY: Duration = Duration::from_secs(1);
const LATE_GRACE: Duration = Duration::from_secs(30);

/// What the late release does after Redis answered it: `true` to stop.
fn late_release_done(released: bool, answered: &mut u32) -> bool {
    *answered += 1;
    released || *answered >= 2
}

fn unavailable(action: &str, error: &redis::RedisError) -> StoreError {
    let cause = if error.is_timeout() {
        "timed out"
    } else if error.is_connection_refusal() {
        "connection refused"
    } else {
        "failed"
    };
    StoreError::new(format!("redis {action} {cause}: {error}"))
}

/// The claim protocol on Redis, for a fleet of receivers (blocking calls).
///
/// Every call opens (or reuses) a connection within the connect timeout and
/// waits for each reply within the response timeout; a Redis that is down,
/// unreachable or too slow is a [`StoreError`] within those bounds.
/// Connections are pooled (up to [`DEFAULT_MAX_IDLE_CONNECTIONS`] idle); one
/// that failed is dropped, and a reused connection that the server had closed
/// (a restart) is replaced once before the call fails.
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<redis::Connection>>,
    scripts: Scripts,
    late: std::sync::OnceLock<late::LateReleases>,
}

impl fmt::Debug for RedisStore {
    // The client's address and password stay out of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on `client`'s server, with the default prefix
    /// ([`REDIS_KEY_PREFIX`]) and timeouts. Nothing is connected yet.
    pub fn new(client: redis::Client) -> Self {
        Self {
            client,
            prefix: REDIS_KEY_PREFIX.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            max_idle: DEFAULT_MAX_IDLE_CONNECTIONS,
            idle: Mutex::new(Vec::new()),
            scripts: Scripts::new(),
            late: std::sync::OnceLock::new(),
        }
    }

    /// A store on the server at `url` (`redis://host:port/db`,
    /// `redis://:password@host`, ...). A URL that does not parse is a
    /// [`StoreError`] (without the URL, which may hold a password).
    pub fn open(url: &str) -> Result<Self, StoreError> {
        redis::Client::open(url)
            .map(Self::new)
            .map_err(|e| StoreError::new(format!("the Redis URL is not valid ({:?})", e.kind())))
    }

    /// Keys are `prefix` followed by the delivery key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a connection may take to open.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest Redis may take to answer a command.
    pub fn with_response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How many idle connections to keep for reuse (0: a connection per call).
    pub fn with_max_idle_connections(mut self, max_idle: usize) -> Self {
        self.max_idle = max_idle;
        self
    }

    /// The prefix of its keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn idle(&self) -> MutexGuard<'_, Vec<redis::Connection>> {
        // The list is only pushed to and popped from: a panic elsewhere
        // cannot leave it half changed.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        // A zero timeout means "none" to the standard library: at least 1 ms.
        let at_least = |d: Duration| d.max(Duration::from_millis(1));
        let connection = self
            .client
            .get_connection_with_timeout(at_least(self.connect_timeout))?;
        connection.set_read_timeout(Some(at_least(self.response_timeout)))?;
        connection.set_write_timeout(Some(at_least(self.response_timeout)))?;
        Ok(connection)
    }

    /// Release `token`'s claim of `full` in the background, once Redis
    /// answers (see [`late_release_done`]).
    fn release_late(&self, full: String, token: String, lease: Duration) {
        self.late
            .get_or_init(|| {
                late::LateReleases::new(
                    self.client.clone(),
                    self.scripts.release.clone(),
                    self.connect_timeout,
                    self.response_timeout,
                )
            })
            .add(full, token, lease);
    }

    /// Run `call` on a pooled or new connection. A reused connection that
    /// turns out closed (not slow) is replaced by a new one, once: every
    /// script is safe to run again with the same arguments.
    fn run<T>(
        &self,
        action: &str,
        mut call: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle().pop();
        let reused = pooled.is_some();
        let mut connection = match pooled {
            Some(connection) => connection,
            None => self.connect().map_err(|e| unavailable(action, &e))?,
        };
        let result = match call(&mut connection) {
            Err(e)
                if reused && !e.is_timeout() && (e.is_io_error() || e.is_connection_dropped()) =>
            {
                connection = self.connect().map_err(|e| unavailable(action, &e))?;
                call(&mut connection)
            }
            other => other,
        };
        match result {
            Ok(value) => {
                let mut idle = self.idle();
                if idle.len() < self.max_idle {
                    idle.push(connection);
                }
                Ok(value)
            }
            // The connection may hold a late reply: never reuse it.
            Err(e) => Err(unavailable(action, &e)),
        }
    }
}

impl DeliveryStore for RedisStore {
    fn claim(&self, key: &str, body_hash: &str, lease: Duration) -> Result<Claim, StoreError> {
        let token = new_claim_token()?;
        let full = redis_key(&self.prefix, key);
        let lease_ms = millis(lease);
        let mut landed = false;
        let reply: Result<(i64, String), StoreError> = self.run("claim", |c| {
            let reply = self
                .scripts
                .claim
                .key(&full)
                .arg(&token)
                .arg(lease_ms)
                .arg(body_hash)
                .invoke(c);
            if let Err(e) = &reply {
                landed |= may_have_landed(e);
            }
            reply
        });
        match reply {
            Ok((reply, stored)) => Claim::from_redis_reply(reply, &stored, token),
            Err(error) => {
                if landed {
                    self.release_late(full, token, lease);
                }
                Err(error)
            }
        }
    }

    fn complete(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError> {
        let full = redis_key(&self.prefix, key);
        let retention = millis(retention);
        let reply: i64 = self.run("complete", |c| {
            self.scripts
                .complete
                .key(&full)
                .arg(token)
                .arg(retention)
                .arg(body_hash)
                .invoke(c)
        })?;
        Completion::from_redis_reply(reply)
    }

    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError> {
        let full = redis_key(&self.prefix, key);
        let reply: i64 = self.run("release", |c| {
            self.scripts.release.key(&full).arg(token).invoke(c)
        })?;
        Ok(reply == 1)
    }
}

mod late;

#[cfg(feature = "tokio")]
mod asynchronous;
#[cfg(feature = "tokio")]
pub use asynchronous::AsyncRedisStore;
