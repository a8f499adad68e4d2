//! [`AsyncRedisStore`]: the same protocol on tokio (feature `tokio`).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bullseye_webhooks::delivery::{
    Claim, Completion, REDIS_KEY_PREFIX, StoreError, millis, new_claim_token,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Late releases pending in this process's tasks, and their bound.
static LATE_PENDING: AtomicUsize = AtomicUsize::new(0);
const MAX_LATE_RELEASES: usize = 10_000;

/// One pending late release, counted until its task ends.
struct Pending;

impl Drop for Pending {
    fn drop(&mut self) {
        LATE_PENDING.fetch_sub(1, Ordering::SeqCst);
    }
}

use crate::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT, LATE_FIRST_DELAY, LATE_GRACE,
    LATE_MAX_DELAY, Scripts, late_release_done, redis_key, unavailable,
};

/// The claim protocol on Redis for async receivers (tokio), over redis'
/// [`ConnectionManager`] (one multiplexed connection, re-established in the
/// background after a failure).
///
/// Each call is bounded: the connect timeout and the response timeout apply
/// to the connection, and the whole call (waiting for a reconnection
/// included) is cut off at their sum. Create it inside a tokio runtime with
/// time enabled.
#[derive(Clone)]
pub struct AsyncRedisStore {
    manager: ConnectionManager,
    prefix: String,
    bound: Duration,
    scripts: std::sync::Arc<Scripts>,
}

impl fmt::Debug for AsyncRedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedisStore")
            .field("prefix", &self.prefix)
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl AsyncRedisStore {
    /// A store on `client`'s server with the default timeouts (1 s to
    /// connect, 1 s per reply); it connects on its first call.
    pub fn new(client: redis::Client) -> Result<Self, StoreError> {
        Self::with_timeouts(client, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT)
    }

    /// A store on `client`'s server with these timeouts.
    pub fn with_timeouts(
        client: redis::Client,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connect_timeout))
            .set_response_timeout(Some(response_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = client
            .get_connection_manager_lazy(config)
            .map_err(|e| unavailable("connect", &e))?;
        Ok(Self {
            manager,
            prefix: REDIS_KEY_PREFIX.to_owned(),
            bound: connect_timeout.saturating_add(response_timeout),
            scripts: std::sync::Arc::new(Scripts::new()),
        })
    }

    /// Keys are `prefix` followed by the delivery key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The prefix of its keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    async fn bounded<T>(
        &self,
        action: &str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.bound, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(unavailable(action, &e)),
            Err(_) => Err(StoreError::new(format!(
                "redis {action} timed out after {:?}",
                self.bound
            ))),
        }
    }

    /// See [`bullseye_webhooks::delivery::DeliveryStore::claim`].
    ///
    /// A claim whose answer did not come in time may still land: it is
    /// released by its token in a background task (see the blocking
    /// store's late release).
    pub async fn claim(
        &self,
        key: &str,
        body_hash: &str,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let token = new_claim_token()?;
        let full = redis_key(&self.prefix, key);
        let mut connection = self.manager.clone();
        let mut invocation = self.scripts.claim.key(&full);
        invocation.arg(&token).arg(millis(lease)).arg(body_hash);
        let reply: Result<(i64, String), StoreError> = self
            .bounded("claim", invocation.invoke_async(&mut connection))
            .await;
        match reply {
            Ok((reply, stored)) => Claim::from_redis_reply(reply, &stored, token),
            Err(error) => {
                self.release_late(full, token, lease);
                Err(error)
            }
        }
    }

    fn release_late(&self, full: String, token: String, lease: Duration) {
        // Past MAX_LATE_RELEASES pending, a claim ends with its lease, as without one.
        if LATE_PENDING.fetch_add(1, Ordering::SeqCst) >= MAX_LATE_RELEASES {
            LATE_PENDING.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let pending = Pending;
        let store = self.clone();
        let deadline = tokio::time::Instant::now() + lease.saturating_add(LATE_GRACE);
        tokio::spawn(async move {
            // Counted until the task ends (or is dropped unpolled).
            let _pending = pending;
            let (mut delay, mut answered) = (LATE_FIRST_DELAY, 0);
            while tokio::time::Instant::now() + delay <= deadline {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2).min(LATE_MAX_DELAY);
                let mut connection = store.manager.clone();
                let mut invocation = store.scripts.release.key(&full);
                invocation.arg(&token);
                let reply: Result<i64, StoreError> = store
                    .bounded("release", invocation.invoke_async(&mut connection))
                    .await;
                if let Ok(reply) = reply
                    && late_release_done(reply == 1, &mut answered)
                {
                    return;
                }
            }
        });
    }

    /// See [`bullseye_webhooks::delivery::DeliveryStore::complete`].
    pub async fn complete(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError> {
        let full = redis_key(&self.prefix, key);
        let mut connection = self.manager.clone();
        let mut invocation = self.scripts.complete.key(&full);
        invocation.arg(token).arg(millis(retention)).arg(body_hash);
        let reply: i64 = self
            .bounded("complete", invocation.invoke_async(&mut connection))
            .await?;
        Completion::from_redis_reply(reply)
    }

    /// See [`bullseye_webhooks::delivery::DeliveryStore::release`].
    pub async fn release(&self, key: &str, token: &str) -> Result<bool, StoreError> {
        let full = redis_key(&self.prefix, key);
        let mut connection = self.manager.clone();
        let mut invocation = self.scripts.release.key(&full);
        invocation.arg(token);
        let reply: i64 = self
            .bounded("release", invocation.invoke_async(&mut connection))
            .await?;
        Ok(reply == 1)
    }
}
