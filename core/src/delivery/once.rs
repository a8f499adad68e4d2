//! [`handle_once`]: the claim flow around a handler, as the integrations of
//! every language run it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    Claim, DEFAULT_LEASE, DEFAULT_RETENTION, DeliveryStore, STORE_RETRY_AFTER_SECS, StoreError,
    conflict_key,
};

/// The body of the 200 answered for a duplicate (the handler is not called).
pub const DUPLICATE_ANSWER: &str = r#"{"duplicate":true}"#;
/// The body of the 409 answered for a delivery in flight.
pub const IN_FLIGHT_ANSWER: &str = r#"{"error":"delivery_in_flight"}"#;
/// The body of the 409 answered for a delivery whose key was seen with a
/// different body.
pub const CONFLICT_ANSWER: &str = r#"{"error":"delivery_conflict"}"#;
/// The body of the 503 answered when the store is unavailable.
pub const STORE_UNAVAILABLE_ANSWER: &str = r#"{"error":"store_unavailable"}"#;

/// A complete (or release) that failed after the handler is retried in the
/// background: first after this long, doubling up to [`SETTLE_MAX_DELAY`],
/// until the lease plus [`SETTLE_GRACE`] has passed (as in Python and Node).
const SETTLE_FIRST_DELAY: Duration = Duration::from_millis(50);
const SETTLE_MAX_DELAY: Duration = Duration::from_secs(1);
const SETTLE_GRACE: Duration = Duration::from_secs(30);

/// What to do when the store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnStoreError {
    /// Answer 503 with `Retry-After`: the sender retries, nothing is handled
    /// twice and nothing is lost (the default).
    #[default]
    Refuse,
    /// Call the handler without de-duplication (and report the error):
    /// for receivers that prefer a duplicate to a delay.
    Process,
}

/// What to do with a delivery whose key was seen with a different body
/// (`on_conflict` in every language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnConflict {
    /// Answer 409 `{"error": "delivery_conflict"}` without calling the
    /// handler (the default): a sender reusing a key for another body is
    /// told so, and nothing is overwritten.
    #[default]
    Refuse,
    /// Handle it as its own delivery, de-duplicated under
    /// [`conflict_key`]`(key, body_hash)`: each different body once.
    Process,
}

/// How [`handle_once`] de-duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupeOptions {
    lease: Duration,
    retention: Duration,
    on_store_error: OnStoreError,
    on_conflict: OnConflict,
    wait_for_in_flight: Duration,
}

impl Default for DedupeOptions {
    fn default() -> Self {
        Self {
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            on_store_error: OnStoreError::Refuse,
            on_conflict: OnConflict::Refuse,
            wait_for_in_flight: Duration::ZERO,
        }
    }
}

impl DedupeOptions {
    /// How long a claim holds a delivery (default [`DEFAULT_LEASE`]); longer
    /// than the handler takes, or a retry may run while it still works.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a handled delivery is remembered (default
    /// [`DEFAULT_RETENTION`]).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// What to do when the store cannot be reached (default
    /// [`OnStoreError::Refuse`]).
    pub fn with_on_store_error(mut self, on_store_error: OnStoreError) -> Self {
        self.on_store_error = on_store_error;
        self
    }

    /// How long to wait for a copy in flight (default none: answer 409 at
    /// once): the claim is tried again (50 ms, doubling to 1 s) until the
    /// holder finishes (then a duplicate, or the claim is taken when the
    /// holder released it or its lease ended) or `wait` has passed (then
    /// 409). Keep it well under the sender's timeout (Bullseye: 30 s).
    pub fn with_wait_for_in_flight(mut self, wait: Duration) -> Self {
        self.wait_for_in_flight = wait;
        self
    }

    /// What to do with a key seen with a different body (default
    /// [`OnConflict::Refuse`]).
    pub fn with_on_conflict(mut self, on_conflict: OnConflict) -> Self {
        self.on_conflict = on_conflict;
        self
    }

    /// How long a claim holds a delivery.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// How long a handled delivery is remembered.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// What to do when the store cannot be reached.
    pub fn on_store_error(&self) -> OnStoreError {
        self.on_store_error
    }

    /// What to do with a key seen with a different body.
    pub fn on_conflict(&self) -> OnConflict {
        self.on_conflict
    }

    /// How long to wait for a copy in flight.
    pub fn wait_for_in_flight(&self) -> Duration {
        self.wait_for_in_flight
    }
}

/// What [`handle_once`] did, and so what to answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled<T, E> {
    /// The handler ran and succeeded: answer as it says (2xx). `store_error`
    /// is a store failure to log: marking it done failed on the first try
    /// (it is retried in the background until the lease plus 30 s has
    /// passed), or with [`OnStoreError::Process`] the claim failed and the
    /// handler ran without de-duplication.
    Done {
        /// The handler's value.
        value: T,
        /// A store failure to log, if any.
        store_error: Option<StoreError>,
    },
    /// The handler failed: its claim was released so the sender's retry is
    /// handled; answer as the error says (non-2xx). `store_error`: the
    /// release failed on the first try (it is retried in the background).
    Failed {
        /// The handler's error.
        error: E,
        /// A store failure to log, if any.
        store_error: Option<StoreError>,
    },
    /// Handled before: answer 200 [`DUPLICATE_ANSWER`]; the handler was not called.
    Duplicate,
    /// Another worker holds it: answer 409 [`IN_FLIGHT_ANSWER`] with
    /// `Retry-After: retry_after_secs`; the handler was not called.
    InFlight {
        /// The `Retry-After`, in whole seconds (at least 1).
        retry_after_secs: u64,
    },
    /// The key was seen with a different body: answer 409
    /// [`CONFLICT_ANSWER`] and log both hashes (never the body); the
    /// handler was not called.
    Conflict {
        /// This delivery's body hash.
        body_hash: String,
        /// The hash the store holds for the key.
        stored_hash: String,
        /// Whether the other body's claim is in flight (else it is done).
        in_flight: bool,
    },
    /// The store could not be reached: answer 503 [`STORE_UNAVAILABLE_ANSWER`]
    /// with `Retry-After:` [`STORE_RETRY_AFTER_SECS`]; the handler was not called.
    StoreUnavailable(StoreError),
}

/// An answer the protocol itself gives (the handler was not called).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: &'static str,
    /// The `Retry-After` header's seconds, if any.
    pub retry_after_secs: Option<u64>,
}

impl<T, E> Handled<T, E> {
    /// The answer for [`Handled::Duplicate`], [`Handled::InFlight`],
    /// [`Handled::Conflict`] and [`Handled::StoreUnavailable`]; `None` when
    /// the handler ran (answer as it decided).
    pub fn answer(&self) -> Option<Answer> {
        match self {
            Handled::Done { .. } | Handled::Failed { .. } => None,
            Handled::Duplicate => Some(Answer {
                status: 200,
                body: DUPLICATE_ANSWER,
                retry_after_secs: None,
            }),
            Handled::InFlight { retry_after_secs } => Some(Answer {
                status: 409,
                body: IN_FLIGHT_ANSWER,
                retry_after_secs: Some(*retry_after_secs),
            }),
            Handled::Conflict { .. } => Some(Answer {
                status: 409,
                body: CONFLICT_ANSWER,
                retry_after_secs: None,
            }),
            Handled::StoreUnavailable(_) => Some(Answer {
                status: 503,
                body: STORE_UNAVAILABLE_ANSWER,
                retry_after_secs: Some(STORE_RETRY_AFTER_SECS),
            }),
        }
    }
}

/// Handle the delivery of `key`, whose body's hash is `body_hash` (see
/// [`super::body_hash`]), at most once across every receiver that shares
/// `store`: claim it; when new, call `handler`, then complete the claim on
/// `Ok` or release it on `Err`. See [`Handled`] for the answers.
///
/// A complete or release that fails is retried in a background thread
/// (50 ms, doubling to 1 s, until the lease plus 30 s has passed): a store
/// that comes back then still marks the delivery done before a copy can
/// take it after the lease. Hence the store is shared (`Arc`).
pub fn handle_once<S, T, E>(
    store: &Arc<S>,
    key: &str,
    body_hash: &str,
    options: DedupeOptions,
    handler: impl FnOnce() -> Result<T, E>,
) -> Handled<T, E>
where
    S: DeliveryStore + Send + Sync + ?Sized + 'static,
{
    let mut claimed = claim_waiting(&**store, key, body_hash, options);
    let mut key = key.to_owned();
    if let (Ok(Claim::Conflict { .. }), OnConflict::Process) = (&claimed, options.on_conflict) {
        // Its own delivery: once per different body.
        key = conflict_key(&key, body_hash);
        claimed = claim_waiting(&**store, &key, body_hash, options);
    }
    let token = match claimed {
        Ok(Claim::New { token }) => token,
        Ok(Claim::Duplicate) => return Handled::Duplicate,
        Ok(claim @ Claim::InFlight { .. }) => {
            return Handled::InFlight {
                retry_after_secs: claim.retry_after_secs().unwrap_or(1),
            };
        }
        Ok(Claim::Conflict {
            stored_hash,
            in_flight,
        }) => {
            return Handled::Conflict {
                body_hash: body_hash.to_owned(),
                stored_hash,
                in_flight,
            };
        }
        Err(error) => {
            return match options.on_store_error {
                OnStoreError::Refuse => Handled::StoreUnavailable(error),
                OnStoreError::Process => match handler() {
                    Ok(value) => Handled::Done {
                        value,
                        store_error: Some(error),
                    },
                    Err(failure) => Handled::Failed {
                        error: failure,
                        store_error: Some(error),
                    },
                },
            };
        }
    };
    let settle = Settle {
        key,
        token,
        body_hash: body_hash.to_owned(),
        retention: options.retention,
        deadline: Instant::now()
            .checked_add(options.lease.saturating_add(SETTLE_GRACE))
            .unwrap_or_else(Instant::now),
    };
    match handler() {
        Ok(value) => Handled::Done {
            value,
            store_error: settle.run(store, true),
        },
        Err(error) => Handled::Failed {
            error,
            store_error: settle.run(store, false),
        },
    }
}

/// Claim `key`; while another copy holds it, try again until
/// `options.wait_for_in_flight` has passed.
fn claim_waiting<S: DeliveryStore + ?Sized>(
    store: &S,
    key: &str,
    body_hash: &str,
    options: DedupeOptions,
) -> Result<Claim, StoreError> {
    let deadline = Instant::now().checked_add(options.wait_for_in_flight);
    let mut delay = SETTLE_FIRST_DELAY;
    loop {
        let claim = store.claim(key, body_hash, options.lease)?;
        let left = deadline.map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(Instant::now())
        });
        if !matches!(claim, Claim::InFlight { .. }) || left.is_zero() {
            return Ok(claim);
        }
        std::thread::sleep(delay.min(left));
        delay = delay.saturating_mul(2).min(SETTLE_MAX_DELAY);
    }
}

/// A claim to complete or release after its handler.
struct Settle {
    key: String,
    token: String,
    body_hash: String,
    retention: Duration,
    deadline: Instant,
}

impl Settle {
    fn once<S: DeliveryStore + ?Sized>(&self, store: &S, complete: bool) -> Result<(), StoreError> {
        if complete {
            store
                .complete(&self.key, &self.token, &self.body_hash, self.retention)
                .map(drop)
        } else {
            store.release(&self.key, &self.token).map(drop)
        }
    }

    /// Try once; on failure, go on in a background thread and return the
    /// first failure.
    fn run<S>(self, store: &Arc<S>, complete: bool) -> Option<StoreError>
    where
        S: DeliveryStore + Send + Sync + ?Sized + 'static,
    {
        let error = self.once(&**store, complete).err()?;
        let store = Arc::clone(store);
        let spawned = std::thread::Builder::new()
            .name("bullseye-webhooks-settle".into())
            .spawn(move || {
                let mut delay = SETTLE_FIRST_DELAY;
                while Instant::now() + delay <= self.deadline {
                    std::thread::sleep(delay);
                    if self.once(&*store, complete).is_ok() {
                        return;
                    }
                    delay = delay.saturating_mul(2).min(SETTLE_MAX_DELAY);
                }
            });
        // No thread to retry in: the first failure is all there is to report.
        drop(spawned);
        Some(error)
    }
}
