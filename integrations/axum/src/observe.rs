//! Logs and spans (feature `tracing`): one span per delivery, named
//! `bullseye-webhooks delivery` as in the other languages, with `verify`,
//! `claim` and `handle` child spans (the handler's own spans nest under
//! `handle`) and the attributes `bullseye.outcome`, `bullseye.event_type`
//! and `http.response.status_code`; a refusal logged once at WARN, an
//! accepted delivery at DEBUG. Nothing of the secret, the signature or the
//! body is ever recorded. Without the feature, every call here is empty.

use std::future::Future;

use bullseye_webhooks::Mismatch;

use crate::receiver::DeliveryInfo;

/// The log target of every record.
#[cfg(feature = "tracing")]
pub(crate) const TARGET: &str = "bullseye_webhooks";

/// A step of a delivery, each its own child span.
#[derive(Clone, Copy)]
pub(crate) enum Step {
    Verify,
    Claim,
    Handle,
}

/// One delivery's span.
pub(crate) struct Trace {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Trace {
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                target: TARGET,
                "bullseye-webhooks delivery",
                otel.kind = "server",
                bullseye.outcome = tracing::field::Empty,
                bullseye.event_type = tracing::field::Empty,
                http.response.status_code = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
            ),
        }
    }

    /// `future`, run inside the step's span.
    pub(crate) async fn step<F: Future>(&self, step: Step, future: F) -> F::Output {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            let span = match step {
                Step::Verify => tracing::info_span!(target: TARGET, parent: &self.span, "verify"),
                Step::Claim => tracing::info_span!(target: TARGET, parent: &self.span, "claim"),
                Step::Handle => tracing::info_span!(target: TARGET, parent: &self.span, "handle"),
            };
            future.instrument(span).await
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = step;
            future.await
        }
    }

    /// A refusal: the one WARN record, and the span's outcome.
    pub(crate) fn refused(&self, info: &DeliveryInfo) {
        #[cfg(feature = "tracing")]
        {
            tracing::warn!(
                target: TARGET,
                parent: &self.span,
                code = info.code,
                status = info.status,
                signature_header = info.signature_present,
                body_bytes = info.body_len,
                "bullseye-webhooks: refused a delivery: {} ({}); signature header {}; body {} bytes",
                info.code,
                info.status.unwrap_or_default(),
                if info.signature_present { "present" } else { "absent" },
                info.body_len,
            );
            self.finish(info);
            self.span.record("otel.status_code", "error");
        }
        #[cfg(not(feature = "tracing"))]
        let _ = info;
    }

    /// A verified delivery: one DEBUG record with its mismatches (paths and
    /// JSON types, never values).
    pub(crate) fn accepted(
        &self,
        event_type: Option<&str>,
        body_len: usize,
        mismatches: &[Mismatch],
    ) {
        #[cfg(feature = "tracing")]
        {
            if let Some(event_type) = event_type {
                self.span.record("bullseye.event_type", event_type);
            }
            if tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
                let drift = if mismatches.is_empty() {
                    "no mismatch".to_owned()
                } else {
                    mismatches
                        .iter()
                        .map(|m| {
                            format!(
                                "{}: {} expected, {} found",
                                m.path(),
                                m.expected(),
                                m.found()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                tracing::debug!(
                    target: TARGET,
                    parent: &self.span,
                    event_type,
                    body_bytes = body_len,
                    mismatches = mismatches.len(),
                    "bullseye-webhooks: accepted a delivery: {}; body {} bytes; {}",
                    event_type.unwrap_or("no event type"),
                    body_len,
                    drift,
                );
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (event_type, body_len, mismatches);
    }

    /// The answer given: the span's outcome and status.
    pub(crate) fn finish(&self, info: &DeliveryInfo) {
        #[cfg(feature = "tracing")]
        {
            self.span.record("bullseye.outcome", info.code);
            if let Some(status) = info.status {
                self.span.record("http.response.status_code", status);
                if status >= 500 {
                    self.span.record("otel.status_code", "error");
                }
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = info;
    }

    /// A key seen with another body: both hashes, never a body.
    pub(crate) fn conflict(&self, body_hash: &str, stored_hash: &str, consequence: &str) {
        #[cfg(feature = "tracing")]
        tracing::warn!(
            target: TARGET,
            parent: &self.span,
            body_hash,
            stored_hash,
            "bullseye-webhooks: delivery_conflict: the delivery key was seen with another body; {consequence}"
        );
        #[cfg(not(feature = "tracing"))]
        let _ = (body_hash, stored_hash, consequence);
    }

    /// A store failure (the store's message: never a key's value, a token
    /// or a secret).
    pub(crate) fn store_failed(
        &self,
        what: &str,
        error: &dyn std::fmt::Display,
        consequence: &str,
    ) {
        #[cfg(feature = "tracing")]
        tracing::warn!(
            target: TARGET,
            parent: &self.span,
            "bullseye-webhooks: the de-duplication store's {what} failed ({error}); {consequence}"
        );
        #[cfg(not(feature = "tracing"))]
        let _ = (what, error, consequence);
    }
}

/// A settling failure after the answer left, logged outside any span.
pub(crate) fn settle_failed(what: &str, error: &dyn std::fmt::Display, consequence: &str) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        "bullseye-webhooks: the de-duplication store's {what} failed ({error}); {consequence}"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (what, error, consequence);
}

/// The de-duplication needs the layer: said once per request that lacks it.
pub(crate) fn layer_missing() {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        "bullseye-webhooks: this Receiver has a store, but the Verified extractor ran without its layer (Receiver::layer), which completes or releases the claims; answering 500"
    );
}
