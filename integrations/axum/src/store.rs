//! The de-duplication stores, awaited: the core's claim protocol
//! (`bullseye_webhooks::delivery`) behind one async trait, so a blocking
//! store never blocks the server's threads.

use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bullseye_webhooks::delivery::{Claim, Completion, DeliveryStore, MemoryStore, StoreError};

/// What a [`Store`] call returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A store of delivery claims, awaited: the three calls of the core's
/// protocol (see `bullseye_webhooks::delivery::DeliveryStore`). Every call
/// must end in bounded time; a store that cannot answer returns a
/// [`StoreError`] (answered 503 `store_unavailable`).
///
/// Implemented for the core's [`MemoryStore`] (one process), for
/// `bullseye_webhooks_redis::AsyncRedisStore` (feature `redis`: a fleet),
/// and, through [`Blocking`], for any blocking [`DeliveryStore`] (the
/// blocking `RedisStore`, your own).
pub trait Store: Send + Sync + 'static {
    /// Claim `key`, whose body hashes to `body_hash`, for `lease`.
    fn claim<'a>(
        &'a self,
        key: &'a str,
        body_hash: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, Claim>;
    /// Mark `key` done (with `body_hash`) for `retention` if `token`'s claim
    /// holds it (or it is free).
    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        body_hash: &'a str,
        retention: Duration,
    ) -> StoreFuture<'a, Completion>;
    /// Delete `token`'s claim on `key`, never another's.
    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, bool>;
}

// The memory store never waits on anything but its own short mutex: called
// in place.
impl Store for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        body_hash: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(ready(DeliveryStore::claim(self, key, body_hash, lease)))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        body_hash: &'a str,
        retention: Duration,
    ) -> StoreFuture<'a, Completion> {
        Box::pin(ready(DeliveryStore::complete(
            self, key, token, body_hash, retention,
        )))
    }

    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(ready(DeliveryStore::release(self, key, token)))
    }
}

/// One store shared by several receivers (or kept by the application).
impl<S: Store + ?Sized> Store for Arc<S> {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        body_hash: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        (**self).claim(key, body_hash, lease)
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        body_hash: &'a str,
        retention: Duration,
    ) -> StoreFuture<'a, Completion> {
        (**self).complete(key, token, body_hash, retention)
    }

    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, bool> {
        (**self).release(key, token)
    }
}

/// A blocking [`DeliveryStore`] (the blocking `RedisStore`, or your own)
/// run on tokio's blocking pool, so its network waits never hold a server
/// thread.
#[derive(Debug)]
pub struct Blocking<S>(Arc<S>);

impl<S> Blocking<S> {
    /// `store`, run on the blocking pool.
    pub fn new(store: S) -> Self {
        Self(Arc::new(store))
    }
}

impl<S> Blocking<S>
where
    S: DeliveryStore + Send + Sync + 'static,
{
    fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&S) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let store = Arc::clone(&self.0);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || call(&store))
                .await
                .unwrap_or_else(|_| Err(StoreError::new("the store's call panicked")))
        })
    }
}

impl<S> Store for Blocking<S>
where
    S: DeliveryStore + Send + Sync + 'static,
{
    fn claim<'a>(
        &'a self,
        key: &'a str,
        body_hash: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        let (key, body_hash) = (key.to_owned(), body_hash.to_owned());
        self.run(move |store| store.claim(&key, &body_hash, lease))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        body_hash: &'a str,
        retention: Duration,
    ) -> StoreFuture<'a, Completion> {
        let (key, token, body_hash) = (key.to_owned(), token.to_owned(), body_hash.to_owned());
        self.run(move |store| store.complete(&key, &token, &body_hash, retention))
    }

    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, bool> {
        let (key, token) = (key.to_owned(), token.to_owned());
        self.run(move |store| store.release(&key, &token))
    }
}

#[cfg(feature = "redis")]
impl Store for bullseye_webhooks_redis::AsyncRedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        body_hash: &'a str,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(bullseye_webhooks_redis::AsyncRedisStore::claim(
            self, key, body_hash, lease,
        ))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a str,
        body_hash: &'a str,
        retention: Duration,
    ) -> StoreFuture<'a, Completion> {
        Box::pin(bullseye_webhooks_redis::AsyncRedisStore::complete(
            self, key, token, body_hash, retention,
        ))
    }

    fn release<'a>(&'a self, key: &'a str, token: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(bullseye_webhooks_redis::AsyncRedisStore::release(
            self, key, token,
        ))
    }
}
