//! [`Receiver`]: a verifier and what an HTTP receiver needs around it (a
//! store, de-duplication options, hooks), cheap to clone into app state.

use std::fmt;
use std::sync::Arc;

use bullseye_webhooks::delivery::DedupeOptions;
use bullseye_webhooks::{Error, Webhook};

use crate::layer::WebhookLayer;
use crate::store::Store;
use crate::verifier::Verifier;

type VerifiedHook<O> = Arc<dyn Fn(&O, &DeliveryInfo) + Send + Sync>;
type RefusedHook = Arc<dyn Fn(&Error, &DeliveryInfo) + Send + Sync>;

/// What the hooks (and the logs) learn about one delivery: never the
/// secret, the signature or the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryInfo {
    /// `ok` (the handler ran), a refusal's code (`signature_mismatch`, ...),
    /// `duplicate`, `delivery_in_flight` or `store_unavailable`.
    pub code: &'static str,
    /// The status answered: the handler's, or the refusal's or the
    /// de-duplication's. `None` when the [`crate::Verified`] extractor ran
    /// without the layer (the handler's answer is not seen).
    pub status: Option<u16>,
    /// Whether the verifier's signature header came, non-empty.
    pub signature_present: bool,
    /// The body's length in bytes (for a body refused as too large, its
    /// declared length, or the limit plus one when it declared none).
    pub body_len: usize,
    /// The delivery's type, once verified.
    pub event_type: Option<String>,
}

/// A verifier plus what an HTTP receiver needs around it. Put it in your
/// axum state (the [`crate::Verified`] extractor finds it with `FromRef`),
/// or make a tower layer of it ([`Receiver::layer`]).
///
/// With a store ([`Receiver::with_store`]), each verified delivery is
/// claimed under its delivery key before the handler runs: a duplicate is
/// answered 200 `{"duplicate":true}` and one another worker holds 409
/// `{"error":"delivery_in_flight"}` with `Retry-After`, neither calling the
/// handler; a handler that answers 2xx marks it done, any other answer
/// releases the claim so the sender's retry is handled. A store that fails
/// is answered 503 `{"error":"store_unavailable"}` with `Retry-After`
/// (or, with `OnStoreError::Process`, the handler runs without
/// de-duplication). De-duplication needs the layer, which sees the answer.
pub struct Receiver<V: Verifier = Webhook> {
    verifier: Arc<V>,
    store: Option<Arc<dyn Store>>,
    dedupe: DedupeOptions,
    on_verified: Option<VerifiedHook<V::Output>>,
    on_refused: Option<RefusedHook>,
}

impl<V: Verifier> Clone for Receiver<V> {
    fn clone(&self) -> Self {
        Self {
            verifier: Arc::clone(&self.verifier),
            store: self.store.clone(),
            dedupe: self.dedupe,
            on_verified: self.on_verified.clone(),
            on_refused: self.on_refused.clone(),
        }
    }
}

impl<V: Verifier + fmt::Debug> fmt::Debug for Receiver<V> {
    // The verifier's own Debug redacts its secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("verifier", &self.verifier)
            .field("store", &self.store.is_some())
            .field("dedupe", &self.dedupe)
            .field("on_verified", &self.on_verified.is_some())
            .field("on_refused", &self.on_refused.is_some())
            .finish()
    }
}

impl<V: Verifier> Receiver<V> {
    /// A receiver verifying with `verifier`, without de-duplication or hooks.
    pub fn new(verifier: V) -> Self {
        Self {
            verifier: Arc::new(verifier),
            store: None,
            dedupe: DedupeOptions::default(),
            on_verified: None,
            on_refused: None,
        }
    }

    /// De-duplicate through `store` (see [`crate::Store`]), with `DedupeOptions::default()`
    /// unless [`Receiver::with_dedupe_options`] says otherwise.
    pub fn with_store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The lease, the retention and what to do when the store fails.
    pub fn with_dedupe_options(mut self, options: DedupeOptions) -> Self {
        self.dedupe = options;
        self
    }

    /// Called once for each verified delivery, once its answer is known,
    /// with the delivery and what was answered. Keep it short and do not
    /// panic in it: it runs on the request's task.
    pub fn on_verified(
        mut self,
        hook: impl Fn(&V::Output, &DeliveryInfo) + Send + Sync + 'static,
    ) -> Self {
        self.on_verified = Some(Arc::new(hook));
        self
    }

    /// Called once for each refused delivery, with the error (whose message
    /// holds no secret) and what was answered.
    pub fn on_refused(
        mut self,
        hook: impl Fn(&Error, &DeliveryInfo) + Send + Sync + 'static,
    ) -> Self {
        self.on_refused = Some(Arc::new(hook));
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &V {
        &self.verifier
    }

    /// A tower layer that verifies (and de-duplicates) every request of the
    /// service it wraps (see [`WebhookLayer`]).
    pub fn layer(&self) -> WebhookLayer<V> {
        WebhookLayer::new(self.clone())
    }

    pub(crate) fn store(&self) -> Option<&Arc<dyn Store>> {
        self.store.as_ref()
    }

    pub(crate) fn dedupe(&self) -> DedupeOptions {
        self.dedupe
    }

    pub(crate) fn verified_hook(&self, output: &V::Output, info: &DeliveryInfo) {
        if let Some(hook) = &self.on_verified {
            hook(output, info);
        }
    }

    pub(crate) fn refused_hook(&self, error: &Error, info: &DeliveryInfo) {
        if let Some(hook) = &self.on_refused {
            hook(error, info);
        }
    }
}
