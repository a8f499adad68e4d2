//! [`Verified`]: the axum extractor.

use std::fmt;
use std::ops::Deref;

use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bullseye_webhooks::{BitnobWebhook, Error, Webhook};

use crate::flow::{error_response, receive, refusal_response};
use crate::observe::{Trace, layer_missing};
use crate::receiver::Receiver;
use crate::verifier::{Verifier, VisitWebhook};

/// A verified delivery: `Verified(event): Verified` in an axum handler
/// gives the Bullseye `Event`; `Verified<VisitWebhook>` a `Visit`,
/// `Verified<BitnobWebhook>` a Bitnob `Event`.
///
/// The extractor finds the [`Receiver<V>`] in the app state (`FromRef`),
/// reads the raw body up to the verifier's limit (a longer one is refused
/// before it is read), verifies it and parses it. A refusal is answered
/// with the contract's status and `{"error": code}` (the [`Rejection`]),
/// and the handler is not called.
///
/// Behind the layer ([`Receiver::layer`]), the layer has verified (and
/// claimed) the delivery already: the extractor takes it from the request's
/// extensions, and `axum::Extension<Verified<V>>` does too, with no state.
pub struct Verified<V: Verifier = Webhook>(pub V::Output);

/// A Bullseye event.
pub type VerifiedEvent = Verified<Webhook>;
/// A fingerprinting-api visit.
pub type VerifiedVisit = Verified<VisitWebhook>;
/// A Bitnob event.
pub type VerifiedBitnob = Verified<BitnobWebhook>;

impl<V: Verifier> Verified<V> {
    /// The delivery.
    pub fn into_inner(self) -> V::Output {
        self.0
    }
}

impl<V: Verifier> Clone for Verified<V> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<V: Verifier> fmt::Debug for Verified<V>
where
    V::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Verified").field(&self.0).finish()
    }
}

impl<V: Verifier> Deref for Verified<V> {
    type Target = V::Output;

    fn deref(&self) -> &V::Output {
        &self.0
    }
}

/// Why the extractor answered instead of the handler.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// The delivery was refused: the error's status (413, 400 or 401) and
    /// `{"error": code}`.
    Refused(Error),
    /// The [`Receiver`] has a store, but its layer did not run: nothing
    /// would complete or release the claim. 500
    /// `{"error":"dedupe_needs_layer"}`; add `.layer(receiver.layer())`
    /// to the route.
    LayerMissing,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Refused(error) => refusal_response(&error),
            Rejection::LayerMissing => error_response(500, "dedupe_needs_layer"),
        }
    }
}

impl<S, V> FromRequest<S> for Verified<V>
where
    V: Verifier,
    Receiver<V>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, Rejection> {
        if let Some(verified) = req.extensions_mut().remove::<Verified<V>>() {
            return Ok(verified);
        }
        let receiver = Receiver::<V>::from_ref(state);
        if receiver.store().is_some() {
            layer_missing();
            return Err(Rejection::LayerMissing);
        }
        let trace = Trace::start();
        let (parts, body) = req.into_parts();
        let received = receive(&receiver, &parts.headers, body, &trace)
            .await
            .map_err(Rejection::Refused)?;
        trace.finish(&received.info);
        receiver.verified_hook(&received.output, &received.info);
        Ok(Verified(received.output))
    }
}
