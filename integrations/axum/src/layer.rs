//! [`WebhookLayer`]: verification and de-duplication for any tower service.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum_core::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::Verified;
use crate::flow::{BoxError, Claimed, answer_response, claim, receive, refusal_response};
use crate::observe::{Step, Trace};
use crate::receiver::Receiver;
use crate::verifier::Verifier;

/// A tower layer (from [`Receiver::layer`]) that verifies every request of
/// the service it wraps: axum routes and routers, a hyper service, anything
/// that is a `tower::Service`.
///
/// For each request it reads the body up to the verifier's limit, verifies
/// it, claims it when the receiver has a store, and calls the inner service
/// with the verified delivery in the request's extensions (as
/// [`Verified<V>`]) and the raw body as the request's body. A refusal is
/// answered with the contract's status and `{"error": code}`, a duplicate,
/// a delivery in flight or a failed store with the core's answers; the
/// inner service is not called for those. The claim is completed when the
/// inner service answers 2xx, released otherwise.
pub struct WebhookLayer<V: Verifier> {
    receiver: Receiver<V>,
}

impl<V: Verifier> WebhookLayer<V> {
    /// The layer of `receiver`.
    pub fn new(receiver: Receiver<V>) -> Self {
        Self { receiver }
    }
}

impl<V: Verifier> Clone for WebhookLayer<V> {
    fn clone(&self) -> Self {
        Self::new(self.receiver.clone())
    }
}

impl<S, V: Verifier> Layer<S> for WebhookLayer<V> {
    type Service = WebhookService<S, V>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService {
            inner,
            receiver: self.receiver.clone(),
        }
    }
}

/// The service [`WebhookLayer`] makes.
pub struct WebhookService<S, V: Verifier> {
    inner: S,
    receiver: Receiver<V>,
}

impl<S: Clone, V: Verifier> Clone for WebhookService<S, V> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            receiver: self.receiver.clone(),
        }
    }
}

impl<S, V, B, ResBody> Service<Request<B>> for WebhookService<S, V>
where
    V: Verifier,
    S: Service<Request<Body>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready handles this request; a clone
        // takes its place for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let receiver = self.receiver.clone();
        Box::pin(async move {
            let trace = Trace::start();
            let (mut parts, body) = request.into_parts();
            let received = match receive(&receiver, &parts.headers, body, &trace).await {
                Ok(received) => received,
                Err(error) => return Ok(refusal_response(&error)),
            };
            let mut info = received.info;
            let body_hash = bullseye_webhooks::delivery::body_hash(&received.body);
            let lease = match claim(&receiver, &received.output, &body_hash, &trace).await {
                Claimed::Answer(answer, code) => {
                    info.code = code;
                    info.status = Some(answer.status);
                    trace.finish(&info);
                    receiver.verified_hook(&received.output, &info);
                    return Ok(answer_response(&answer));
                }
                Claimed::Lease(lease) => Some(lease),
                Claimed::Unguarded => None,
            };
            parts
                .extensions
                .insert(Verified::<V>(received.output.clone()));
            let request = Request::from_parts(parts, Body::from(received.body));
            let answered = trace.step(Step::Handle, inner.call(request)).await;
            let status = answered.as_ref().ok().map(|r| r.status());
            if let Some(lease) = lease {
                lease.settle(status.is_some_and(|s| s.is_success())).await;
            }
            info.status = Some(status.map_or(500, |s| s.as_u16()));
            trace.finish(&info);
            receiver.verified_hook(&received.output, &info);
            answered.map(|response| response.map(Body::new))
        })
    }
}
