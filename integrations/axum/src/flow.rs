//! One delivery, as the extractor and the layer both run it: the body read
//! up to the verifier's limit, verified, reported (hooks, logs), claimed;
//! and the claim settled by the answer.

use std::time::{Duration, Instant};

use axum_core::response::{IntoResponse, Response};
use bullseye_webhooks::Error;
use bullseye_webhooks::delivery::{
    Answer, Claim, DELIVERY_CONFLICT, DELIVERY_IN_FLIGHT, Handled, OnConflict, OnStoreError,
    STORE_UNAVAILABLE, StoreError, conflict_key,
};
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::observe::{Step, Trace, settle_failed};
use crate::receiver::{DeliveryInfo, Receiver};
use crate::store::Store;
use crate::verifier::{Delivery, Verifier, signature_present};

/// What a body must be to be read: the server's own bodies, and any other
/// `http_body::Body` of `Bytes`.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The JSON answer `{"error": code}` with `status`.
pub(crate) fn error_response(status: u16, code: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    // The codes are fixed snake_case words: nothing to escape.
    let body = format!(r#"{{"error":"{code}"}}"#);
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// The contract's answer to a refusal.
pub(crate) fn refusal_response(error: &Error) -> Response {
    error_response(error.http_status(), error.code())
}

/// A de-duplication answer (duplicate, in flight, store unavailable).
pub(crate) fn answer_response(answer: &Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        answer.body,
    )
        .into_response();
    if let Some(seconds) = answer.retry_after_secs {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The body, read up to `limit` bytes: a declared length past it is
/// refused before reading anything, and reading stops one chunk past it.
async fn read_limited<B>(body: B, limit: usize, declared: Option<usize>) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if let Some(actual) = declared.filter(|&n| n > limit) {
        return Err(Error::BodyTooLarge { limit, actual });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(Error::BodyTooLarge {
            limit,
            actual: limit.saturating_add(1),
        }),
        // The client went away or sent a broken body: nothing to verify.
        Err(_) => Err(Error::InvalidBody("the body could not be read".to_owned())),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A verified delivery, its body and what the hooks are told.
pub(crate) struct Received<O> {
    pub(crate) output: O,
    pub(crate) body: Bytes,
    pub(crate) info: DeliveryInfo,
}

/// Read and verify one delivery; a refusal is reported (log, hook, span)
/// and returned.
pub(crate) async fn receive<V, B>(
    receiver: &Receiver<V>,
    headers: &HeaderMap,
    body: B,
    trace: &Trace,
) -> Result<Received<V::Output>, Error>
where
    V: Verifier,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let verifier = receiver.verifier();
    let declared = declared_length(headers);
    let mut info = DeliveryInfo {
        code: "ok",
        status: None,
        signature_present: signature_present(headers, V::SIGNATURE_HEADER),
        body_len: 0,
        event_type: None,
    };
    let verified = trace
        .step(Step::Verify, async {
            let body = read_limited(body, verifier.max_body_bytes(), declared).await?;
            info.body_len = body.len();
            let output = verifier.verify(&body, headers)?;
            Ok((output, body))
        })
        .await;
    match verified {
        Ok((output, body)) => {
            info.event_type = output.event_type().map(str::to_owned);
            trace.accepted(output.event_type(), body.len(), output.mismatches());
            Ok(Received { output, body, info })
        }
        Err(error) => {
            if let Error::BodyTooLarge { actual, .. } = error {
                info.body_len = actual;
            }
            info.code = error.code();
            info.status = Some(error.http_status());
            trace.refused(&info);
            receiver.refused_hook(&error, &info);
            Err(error)
        }
    }
}

/// What a claim decided.
pub(crate) enum Claimed {
    /// New: call the handler under this lease.
    Lease(Lease),
    /// Answer this instead of calling the handler; the code for the logs.
    Answer(Answer, &'static str),
    /// No store, or a failed one with `OnStoreError::Process`: call the
    /// handler without de-duplication.
    Unguarded,
}

/// Claim a verified delivery's key; `body_hash` is its body's
/// (`bullseye_webhooks::delivery::body_hash`).
pub(crate) async fn claim<V: Verifier>(
    receiver: &Receiver<V>,
    output: &V::Output,
    body_hash: &str,
    trace: &Trace,
) -> Claimed {
    let Some(store) = receiver.store() else {
        return Claimed::Unguarded;
    };
    let options = receiver.dedupe();
    let mut key = output.delivery_key();
    let mut claimed = trace
        .step(
            Step::Claim,
            claim_waiting(&**store, &key, body_hash, options),
        )
        .await;
    if let (Ok(Claim::Conflict { stored_hash, .. }), OnConflict::Process) =
        (&claimed, options.on_conflict())
    {
        // Its own delivery: handled once per different body.
        trace.conflict(body_hash, stored_hash, "handling it as its own delivery");
        key = conflict_key(&key, body_hash);
        claimed = trace
            .step(
                Step::Claim,
                claim_waiting(&**store, &key, body_hash, options),
            )
            .await;
    }
    // The answers are the core's (`Handled::answer`), so every language
    // answers alike.
    let answer = |handled: Handled<(), ()>, code| {
        handled
            .answer()
            .map_or(Claimed::Unguarded, |answer| Claimed::Answer(answer, code))
    };
    match claimed {
        Ok(Claim::New { token }) => Claimed::Lease(Lease {
            store: std::sync::Arc::clone(store),
            key,
            token,
            body_hash: body_hash.to_owned(),
            lease: options.lease(),
            retention: options.retention(),
            started: Instant::now(),
            settled: false,
        }),
        Ok(Claim::Duplicate) => answer(Handled::Duplicate, "duplicate"),
        Ok(Claim::Conflict {
            stored_hash,
            in_flight,
        }) => {
            trace.conflict(body_hash, &stored_hash, "answering 409");
            answer(
                Handled::Conflict {
                    body_hash: body_hash.to_owned(),
                    stored_hash,
                    in_flight,
                },
                DELIVERY_CONFLICT,
            )
        }
        Ok(claim) => answer(
            Handled::InFlight {
                retry_after_secs: claim.retry_after_secs().unwrap_or(1),
            },
            DELIVERY_IN_FLIGHT,
        ),
        Err(error) => match options.on_store_error() {
            OnStoreError::Process => {
                trace.store_failed(
                    "claim",
                    &error,
                    "handling the delivery without de-duplication",
                );
                Claimed::Unguarded
            }
            _ => {
                trace.store_failed("claim", &error, "answering 503");
                answer(Handled::StoreUnavailable(error), STORE_UNAVAILABLE)
            }
        },
    }
}

/// Claim `key`; while another copy holds it, try again (50 ms doubling to
/// 1 s) until the options' `wait_for_in_flight` has passed, as the core's
/// `handle_once` does.
async fn claim_waiting(
    store: &dyn Store,
    key: &str,
    body_hash: &str,
    options: bullseye_webhooks::delivery::DedupeOptions,
) -> Result<Claim, StoreError> {
    let deadline = Instant::now().checked_add(options.wait_for_in_flight());
    let mut delay = SETTLE_FIRST_DELAY;
    loop {
        let claim = store.claim(key, body_hash, options.lease()).await?;
        let left = deadline.map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(Instant::now())
        });
        if !matches!(claim, Claim::InFlight { .. }) || left.is_zero() {
            return Ok(claim);
        }
        tokio::time::sleep(delay.min(left)).await;
        delay = delay.saturating_mul(2).min(SETTLE_MAX_DELAY);
    }
}

/// A claim this request holds: completed when the handler answers 2xx,
/// released otherwise, and released if the request is dropped first (the
/// client went away, the handler panicked).
pub(crate) struct Lease {
    store: std::sync::Arc<dyn Store>,
    key: String,
    token: String,
    body_hash: String,
    lease: Duration,
    retention: Duration,
    started: Instant,
    settled: bool,
}

// A complete or release that fails is retried in the background, 50 ms
// doubling to 1 s, until the lease plus 30 s has passed (as the Python and
// Node integrations do): a store restart between the handler and its
// complete then still marks the delivery done before a copy can take it.
const SETTLE_FIRST_DELAY: Duration = Duration::from_millis(50);
const SETTLE_MAX_DELAY: Duration = Duration::from_secs(1);
const SETTLE_GRACE: Duration = Duration::from_secs(30);

impl Lease {
    /// Complete (`succeeded`) or release the claim. A failure is logged
    /// and retried in the background; the answer stands.
    pub(crate) async fn settle(mut self, succeeded: bool) {
        self.settled = true;
        let store = std::sync::Arc::clone(&self.store);
        let claim = Settle {
            key: std::mem::take(&mut self.key),
            token: std::mem::take(&mut self.token),
            body_hash: std::mem::take(&mut self.body_hash),
            retention: self.retention,
        };
        let deadline = self.started + self.lease + SETTLE_GRACE;
        if let Err(error) = claim.once(&*store, succeeded).await {
            settle_failed(what(succeeded), &error, "retrying it in the background");
            spawn_retries(store, claim, succeeded, deadline);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // Dropped before an answer: release, so the sender's retry is
        // handled now rather than after the lease.
        let deadline = self.started + self.lease + SETTLE_GRACE;
        let claim = Settle {
            key: std::mem::take(&mut self.key),
            token: std::mem::take(&mut self.token),
            body_hash: std::mem::take(&mut self.body_hash),
            retention: self.retention,
        };
        let store = std::sync::Arc::clone(&self.store);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if claim.once(&*store, false).await.is_err() {
                    spawn_retries(store, claim, false, deadline);
                }
            });
        }
    }
}

fn what(succeeded: bool) -> &'static str {
    if succeeded { "complete" } else { "release" }
}

/// What completing or releasing a claim needs.
struct Settle {
    key: String,
    token: String,
    body_hash: String,
    retention: Duration,
}

impl Settle {
    async fn once(&self, store: &dyn Store, succeeded: bool) -> Result<(), StoreError> {
        if succeeded {
            store
                .complete(&self.key, &self.token, &self.body_hash, self.retention)
                .await
                .map(drop)
        } else {
            store.release(&self.key, &self.token).await.map(drop)
        }
    }
}

fn spawn_retries(
    store: std::sync::Arc<dyn Store>,
    claim: Settle,
    succeeded: bool,
    deadline: Instant,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut delay = SETTLE_FIRST_DELAY;
        let mut last = None;
        while Instant::now() + delay <= deadline {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(SETTLE_MAX_DELAY);
            match claim.once(&*store, succeeded).await {
                Ok(()) => return,
                Err(error) => last = Some(error),
            }
        }
        let consequence = if succeeded {
            "gave up: the delivery was handled, but a copy arriving after its lease may be handled again"
        } else {
            "gave up: its claim stays until the lease expires, then the retry is handled"
        };
        let error = last.map_or_else(|| "no try left".to_owned(), |e| e.to_string());
        settle_failed(what(succeeded), &error, consequence);
    });
}
