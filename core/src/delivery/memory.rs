//! [`MemoryStore`]: the claim protocol in one process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{Claim, Completion, DeliveryStore, StoreError, new_claim_token};

/// The default number of keys a [`MemoryStore`] holds.
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

/// The claim protocol in this process's memory: right for one process (the
/// threads of one server); several processes need a shared store (Redis, or
/// SQLite on one host).
///
/// It holds at most `capacity` keys. When a new key finds it full, it drops
/// the expired keys, then the done keys closest to expiry (the oldest, and a
/// small margin more, so it does not sweep on every claim): a delivery
/// forgotten that way early would be handled again if retried. It never
/// drops a claim in flight: full of those, a claim is a [`StoreError`]
/// (answered as a store that is unavailable).
///
/// Each key keeps its body's hash: a claim with another hash is
/// [`Claim::Conflict`]. In one process nothing can time out, so no claim
/// lands after its caller gave up.
///
/// Thread-safe (one mutex). The `*_at` methods take the current instant, so
/// tests can move time; the [`DeliveryStore`] calls use the system's
/// monotonic clock.
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
}

#[derive(Debug)]
struct Entry {
    /// The claim's token, or `None` once done.
    token: Option<String>,
    /// The body's hash (see [`super::body_hash`]), kept with the claim
    /// and the done mark.
    body_hash: String,
    expires: Instant,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires > now
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.capacity)
            .field("len", &self.lock().len())
            .finish()
    }
}

impl MemoryStore {
    /// A store of at most [`DEFAULT_MEMORY_CAPACITY`] keys.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_MEMORY_CAPACITY)
    }

    /// A store of at most `capacity` keys (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The most keys it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many keys it holds now (expired ones included until dropped).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // Every change under the lock is a single map operation, so a thread
    // that panicked while holding it (it cannot, short of running out of
    // memory) left the map whole: carry on with it.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`DeliveryStore::claim`] at `now`.
    pub fn claim_at(
        &self,
        key: &str,
        body_hash: &str,
        lease: Duration,
        now: Instant,
    ) -> Result<Claim, StoreError> {
        let mut entries = self.lock();
        if let Some(entry) = entries.get(key).filter(|e| e.live(now)) {
            if Claim::differs(&entry.body_hash, body_hash) {
                return Ok(Claim::Conflict {
                    stored_hash: entry.body_hash.clone(),
                    in_flight: entry.token.is_some(),
                });
            }
            return Ok(match entry.token {
                None => Claim::Duplicate,
                Some(_) => Claim::InFlight {
                    retry_after: entry.expires.saturating_duration_since(now),
                },
            });
        }
        if !entries.contains_key(key) && entries.len() >= self.capacity {
            self.make_room(&mut entries, now)?;
        }
        let token = new_claim_token()?;
        entries.insert(
            key.to_owned(),
            Entry {
                token: Some(token.clone()),
                body_hash: body_hash.to_owned(),
                expires: expiry(now, lease),
            },
        );
        Ok(Claim::New { token })
    }

    /// [`DeliveryStore::complete`] at `now`.
    pub fn complete_at(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: Duration,
        now: Instant,
    ) -> Result<Completion, StoreError> {
        let mut entries = self.lock();
        let completion = match entries.get(key).filter(|e| e.live(now)) {
            Some(Entry {
                token: Some(held), ..
            }) if held == token => Completion::Done,
            Some(_) => return Ok(Completion::NotHeld),
            None => Completion::LeaseExpired,
        };
        if !entries.contains_key(key) && entries.len() >= self.capacity {
            // Full of claims in flight, it cannot remember this one: an
            // error (the handler succeeded all the same; integrations log it).
            self.make_room(&mut entries, now)?;
        }
        entries.insert(
            key.to_owned(),
            Entry {
                token: None,
                body_hash: body_hash.to_owned(),
                expires: expiry(now, retention),
            },
        );
        Ok(completion)
    }

    /// [`DeliveryStore::release`] at `now`: `true` when `token`'s claim
    /// held `key` and was deleted. (A claim of this token whose lease
    /// expired is deleted too, but answers `false`, as in Redis, where it
    /// would be gone already.)
    pub fn release_at(&self, key: &str, token: &str, now: Instant) -> bool {
        let mut entries = self.lock();
        let Some(entry) = entries.get(key) else {
            return false;
        };
        if entry.token.as_deref() != Some(token) {
            return false;
        }
        let live = entry.live(now);
        entries.remove(key);
        live
    }

    /// Make room for one key: drop the expired keys, then the done keys
    /// closest to expiry: one, and a margin of 1/16 of the capacity, so the
    /// scan is paid once per that many new keys. The margin costs nothing in
    /// practice: the keys closest to expiry are a day old, long past any retry.
    fn make_room(
        &self,
        entries: &mut HashMap<String, Entry>,
        now: Instant,
    ) -> Result<(), StoreError> {
        entries.retain(|_, e| e.live(now));
        if entries.len() < self.capacity {
            return Ok(());
        }
        // Only the expiry instants are collected (no key is cloned): the
        // evict-th earliest is the cut-off, and one pass drops every done
        // key expiring no later than it (ties may take a few more).
        let mut expiries: Vec<Instant> = entries
            .values()
            .filter(|e| e.token.is_none())
            .map(|e| e.expires)
            .collect();
        let evict = (entries.len() + 1 - self.capacity + self.capacity / 16).min(expiries.len());
        let Some(last) = evict.checked_sub(1) else {
            return Err(full(self.capacity));
        };
        let (_, cutoff, _) = expiries.select_nth_unstable(last);
        let cutoff = *cutoff;
        entries.retain(|_, e| e.token.is_some() || e.expires > cutoff);
        if entries.len() >= self.capacity {
            return Err(full(self.capacity));
        }
        Ok(())
    }
}

fn full(capacity: usize) -> StoreError {
    StoreError::new(format!(
        "the memory store is full of deliveries in flight ({capacity} keys)"
    ))
}

fn expiry(now: Instant, ttl: Duration) -> Instant {
    // A TTL past what the clock can hold: as far as it can.
    now.checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

impl DeliveryStore for MemoryStore {
    fn claim(&self, key: &str, body_hash: &str, lease: Duration) -> Result<Claim, StoreError> {
        self.claim_at(key, body_hash, lease, Instant::now())
    }

    fn complete(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: Duration,
    ) -> Result<Completion, StoreError> {
        self.complete_at(key, token, body_hash, retention, Instant::now())
    }

    fn release(&self, key: &str, token: &str) -> Result<bool, StoreError> {
        Ok(self.release_at(key, token, Instant::now()))
    }
}
