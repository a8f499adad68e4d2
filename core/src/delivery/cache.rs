//! [`CachedStore`]: a small in-process cache of recently completed keys in
//! front of any store, so a duplicate this process completed is answered
//! without a round trip.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{Claim, Completion, DeliveryStore, StoreError};

/// The default number of keys a [`RecentlyDone`] cache holds.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Keys this process marked done, with their body hash, each until its
/// retention ends; at most `capacity` (the oldest go first). A done mark is
/// final in every store until its retention ends, so the cache never
/// answers what the store would not. Its answer checks the body hash like
/// the store's: another body is a conflict, never a duplicate.
pub struct RecentlyDone {
    inner: Mutex<Recent>,
    capacity: usize,
}

#[derive(Default)]
struct Recent {
    entries: HashMap<String, (String, Instant)>,
    /// Keys in the order they were remembered, to drop the oldest.
    order: VecDeque<String>,
}

impl fmt::Debug for RecentlyDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecentlyDone")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for RecentlyDone {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_CAPACITY)
    }
}

impl RecentlyDone {
    /// A cache of at most `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Recent::default()),
            capacity: capacity.max(1),
        }
    }

    // Each change under the lock leaves the map and the queue whole.
    fn lock(&self) -> MutexGuard<'_, Recent> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the cache knows of `key` with `body_hash` at `now`:
    /// [`Claim::Duplicate`], [`Claim::Conflict`] (done with another body),
    /// or `None` (ask the store).
    pub fn check_at(&self, key: &str, body_hash: &str, now: Instant) -> Option<Claim> {
        let recent = self.lock();
        let (stored, until) = recent.entries.get(key)?;
        if *until <= now {
            return None;
        }
        Some(if Claim::differs(stored, body_hash) {
            Claim::Conflict {
                stored_hash: stored.clone(),
                in_flight: false,
            }
        } else {
            Claim::Duplicate
        })
    }

    /// Remember that `key` is done with `body_hash` for `retention` from `now`.
    pub fn remember_at(&self, key: &str, body_hash: &str, retention: Duration, now: Instant) {
        let until = now.checked_add(retention).unwrap_or(now);
        let mut recent = self.lock();
        let Recent { entries, order } = &mut *recent;
        if entries
            .insert(key.to_owned(), (body_hash.to_owned(), until))
            .is_none()
        {
            order.push_back(key.to_owned());
        }
        while entries.len() > self.capacity {
            match order.pop_front() {
                Some(oldest) => drop(entries.remove(&oldest)),
                None => break,
            }
        }
    }

    /// [`RecentlyDone::check_at`] now.
    pub fn check(&self, key: &str, body_hash: &str) -> Option<Claim> {
        self.check_at(key, body_hash, Instant::now())
    }

    /// [`RecentlyDone::remember_at`] now.
    pub fn remember(&self, key: &str, body_hash: &str, retention: Duration) {
        self.remember_at(key, body_hash, retention, Instant::now());
    }
}

/// `store` with a [`RecentlyDone`] cache in front: a claim of a key this
/// process completed is answered from memory (duplicate, or conflict for
/// another body); every other call goes to the store.
#[derive(Debug)]
pub struct CachedStore<S> {
    store: S,
    recent: RecentlyDone,
}

impl<S> CachedStore<S> {
    /// `store` behind a cache of [`DEFAULT_CACHE_CAPACITY`] keys.
    pub fn new(store: S) -> Self {
        Self::with_capacity(store, DEFAULT_CACHE_CAPACITY)
    }

    /// `store` behind a cache of `capacity` keys.
    pub fn with_capacity(store: S, capacity: usize) -> Self {
        Self {
            store,
            recent: RecentlyDone::new(capacity),
        }
    }

    /// The store behind the cache.
    pub fn store(&self) -> &S {
        &self.store
    }
}

impl<S: DeliveryStore> DeliveryStore for CachedStore<S> {
    fn claim(&self, key: &str, body_hash: &str, lease: Duration) -> Result<Claim, StoreError> {
        match self.recent.check(key, body_hash) {
            Some(known) => Ok(known),
            None => self.store.claim(key, body_hash, lease),
        }
    }

    fn complete(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError> {
        let completion = self.store.complete(key, token, body_hash, retention)?;
        if matches!(completion, Completion::Done | Completion::LeaseExpired) {
            self.recent.remember(key, body_hash, retention);
        }
        Ok(completion)
    }

    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError> {
        self.store.release(key, token)
    }
}
