//! De-duplication: the in-memory store, and the claim helpers the
//! Python stores (Redis, SQLite) share.

use std::time::Duration;

use bullseye_webhooks as core;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use core::delivery::{self, Claim, Completion, DeliveryStore};

use crate::args::seconds_of;

/// A claim as `(outcome, token, retry_after_seconds, stored_hash, found)`:
/// ("new", token, None, None, None), ("duplicate", None, None, None, None),
/// ("in_flight", None, seconds >= 1, None, None) or ("conflict", None,
/// None, the stored hash, "in_flight" or "done"). The Python `Claim` is
/// built from it.
pub(crate) type ClaimTuple = (
    &'static str,
    Option<String>,
    Option<u64>,
    Option<String>,
    Option<&'static str>,
);

pub(crate) fn claim_tuple(claim: Claim) -> PyResult<ClaimTuple> {
    let retry_after = claim.retry_after_secs();
    match claim {
        Claim::New { token } => Ok(("new", Some(token), None, None, None)),
        Claim::Duplicate => Ok(("duplicate", None, None, None, None)),
        Claim::InFlight { .. } => Ok(("in_flight", None, retry_after, None, None)),
        Claim::Conflict {
            stored_hash,
            in_flight,
        } => Ok((
            "conflict",
            None,
            None,
            Some(stored_hash),
            Some(if in_flight { "in_flight" } else { "done" }),
        )),
        _ => Err(store_error(&delivery::StoreError::new(
            "an unknown claim outcome",
        ))),
    }
}

pub(crate) fn completion_name(completion: Completion) -> &'static str {
    match completion {
        Completion::Done => "done",
        Completion::LeaseExpired => "lease_expired",
        _ => "not_held",
    }
}

/// `bullseye_webhooks.dedupe.StoreUnavailable(message)`, looked up once.
pub(crate) static STORE_UNAVAILABLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub(crate) fn store_error(error: &delivery::StoreError) -> PyErr {
    Python::attach(|py| {
        let made = STORE_UNAVAILABLE
            .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py
                    .import("bullseye_webhooks._errors")?
                    .getattr("StoreUnavailable")?
                    .unbind())
            })
            .and_then(|class| class.bind(py).call1((error.to_string(),)));
        match made {
            Ok(exception) => PyErr::from_value(exception),
            Err(import_failure) => import_failure,
        }
    })
}

pub(crate) fn duration_of(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    Ok(Duration::from_secs_f64(seconds_of(value, what)?))
}

/// The core's in-process store: bounded (oldest done keys dropped first),
/// every entry with its lease or retention. Right for one process.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "MemoryStore")]
pub(crate) struct PyMemoryStore {
    inner: delivery::MemoryStore,
}

#[pymethods]
impl PyMemoryStore {
    #[new]
    #[pyo3(signature = (capacity = delivery::DEFAULT_MEMORY_CAPACITY))]
    fn new(capacity: usize) -> Self {
        Self {
            inner: delivery::MemoryStore::with_capacity(capacity),
        }
    }

    /// The most keys it holds.
    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Claim `key` (with its body's hash) for `lease` seconds: a `ClaimTuple`.
    fn claim(&self, key: &str, body_hash: &str, lease: &Bound<'_, PyAny>) -> PyResult<ClaimTuple> {
        let lease = duration_of(lease, "lease")?;
        claim_tuple(
            self.inner
                .claim(key, body_hash, lease)
                .map_err(|e| store_error(&e))?,
        )
    }

    /// Mark `key` done (with its body's hash) for `retention` seconds:
    /// "done", "lease_expired" or "not_held".
    fn complete(
        &self,
        key: &str,
        token: &str,
        body_hash: &str,
        retention: &Bound<'_, PyAny>,
    ) -> PyResult<&'static str> {
        let retention = duration_of(retention, "retention")?;
        Ok(completion_name(
            self.inner
                .complete(key, token, body_hash, retention)
                .map_err(|e| store_error(&e))?,
        ))
    }

    /// Delete `token`'s claim of `key`; True when it held it.
    fn release(&self, key: &str, token: &str) -> PyResult<bool> {
        self.inner.release(key, token).map_err(|e| store_error(&e))
    }

    fn __repr__(&self) -> String {
        format!(
            "MemoryStore(capacity={}, len={})",
            self.inner.capacity(),
            self.inner.len()
        )
    }
}

/// The core's cache of keys this process completed (with their body hash):
/// what `CachedStore` keeps in front of any store.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "RecentlyDone")]
pub(crate) struct PyRecentlyDone {
    inner: delivery::RecentlyDone,
}

#[pymethods]
impl PyRecentlyDone {
    #[new]
    #[pyo3(signature = (capacity = delivery::DEFAULT_CACHE_CAPACITY))]
    fn new(capacity: usize) -> Self {
        Self {
            inner: delivery::RecentlyDone::new(capacity),
        }
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// A duplicate or conflict `ClaimTuple` for a key it holds, else None.
    fn check(&self, key: &str, body_hash: &str) -> PyResult<Option<ClaimTuple>> {
        self.inner
            .check(key, body_hash)
            .map(claim_tuple)
            .transpose()
    }

    /// Remember `key` as done with `body_hash` for `retention` seconds.
    fn remember(&self, key: &str, body_hash: &str, retention: &Bound<'_, PyAny>) -> PyResult<()> {
        let retention = duration_of(retention, "retention")?;
        self.inner.remember(key, body_hash, retention);
        Ok(())
    }
}

/// A claim token: 128 random bits from the OS, as 32 lowercase hex digits.
#[pyfunction]
pub(crate) fn new_claim_token() -> PyResult<String> {
    delivery::new_claim_token().map_err(|e| store_error(&e))
}

/// The claim script's reply (`REDIS_CLAIM_SCRIPT`: `{reply, stored_hash}`) as a `ClaimTuple`.
#[pyfunction]
pub(crate) fn redis_claim_reply(
    reply: i64,
    stored_hash: &str,
    token: String,
) -> PyResult<ClaimTuple> {
    claim_tuple(Claim::from_redis_reply(reply, stored_hash, token).map_err(|e| store_error(&e))?)
}

/// The hash kept with a claim: the hex SHA-256 of the raw body.
#[pyfunction]
pub(crate) fn body_hash(body: &[u8]) -> String {
    delivery::body_hash(body)
}

/// The key a conflicting delivery is handled under with `on_conflict="process"`.
#[pyfunction]
pub(crate) fn conflict_key(key: &str, body_hash: &str) -> String {
    delivery::conflict_key(key, body_hash)
}

/// The complete script's reply: "done", "lease_expired" or "not_held".
#[pyfunction]
pub(crate) fn redis_complete_reply(reply: i64) -> PyResult<&'static str> {
    Ok(completion_name(
        Completion::from_redis_reply(reply).map_err(|e| store_error(&e))?,
    ))
}

/// `Retry-After` for a claim held `remaining_ms` more milliseconds: whole seconds, at least 1.
#[pyfunction]
pub(crate) fn retry_after_secs(remaining_ms: u64) -> u64 {
    delivery::retry_after_secs(remaining_ms)
}
