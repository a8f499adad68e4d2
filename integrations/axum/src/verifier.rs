//! What a [`crate::Receiver`] verifies with: the core's verifiers behind one
//! trait, each reading its own signature header from an `http::HeaderMap`.

use bullseye_webhooks::{
    BITNOB_SIGNATURE_HEADER, BitnobWebhook, Error, Event, Mismatch, SIGNATURE_HEADER,
    VISIT_SIGNATURE_HEADER, Visit, Webhook, find_header, header_pairs,
};
use http::HeaderMap;

/// A verifier the integration runs: the core's [`Webhook`] (Bullseye
/// events), [`BitnobWebhook`] (Bitnob events) and [`VisitWebhook`]
/// (fingerprinting-api visits).
pub trait Verifier: Send + Sync + 'static {
    /// What a verified delivery gives.
    type Output: Delivery;
    /// The header the signature comes in (logged as present or absent,
    /// never its value).
    const SIGNATURE_HEADER: &'static str;

    /// The largest body accepted, in bytes: the body is read up to this
    /// and no further.
    fn max_body_bytes(&self) -> usize;

    /// Verify `body` with the signature found in `headers`, then parse it.
    fn verify(&self, body: &[u8], headers: &HeaderMap) -> Result<Self::Output, Error>;
}

/// What the integration needs from a verified delivery.
pub trait Delivery: Clone + Send + Sync + 'static {
    /// Its type (`visitor.identified`, `NEW_VISIT`, ...), if it names one.
    fn event_type(&self) -> Option<&str>;
    /// The key that de-duplicates it (see `bullseye_webhooks::delivery`).
    fn delivery_key(&self) -> String;
    /// The documented fields that arrived with another JSON type.
    fn mismatches(&self) -> &[Mismatch];
}

impl Delivery for Event {
    fn event_type(&self) -> Option<&str> {
        Some(Event::event_type(self))
    }

    fn delivery_key(&self) -> String {
        Event::delivery_key(self)
    }

    fn mismatches(&self) -> &[Mismatch] {
        Event::mismatches(self)
    }
}

impl Delivery for Visit {
    fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    fn delivery_key(&self) -> String {
        Visit::delivery_key(self)
    }

    fn mismatches(&self) -> &[Mismatch] {
        Visit::mismatches(self)
    }
}

impl Verifier for Webhook {
    type Output = Event;
    const SIGNATURE_HEADER: &'static str = SIGNATURE_HEADER;

    fn max_body_bytes(&self) -> usize {
        Webhook::max_body_bytes(self)
    }

    fn verify(&self, body: &[u8], headers: &HeaderMap) -> Result<Event, Error> {
        self.construct_event_from_headers(body, headers)
    }
}

impl Verifier for BitnobWebhook {
    type Output = Event;
    const SIGNATURE_HEADER: &'static str = BITNOB_SIGNATURE_HEADER;

    fn max_body_bytes(&self) -> usize {
        BitnobWebhook::max_body_bytes(self)
    }

    fn verify(&self, body: &[u8], headers: &HeaderMap) -> Result<Event, Error> {
        self.construct_event_from_headers(body, headers)
    }
}

/// A [`Webhook`] that verifies fingerprinting-api visits: the
/// `X-Webhook-Signature` header (a static token or an HMAC, see
/// [`Webhook::verify_visit_signature`]), then [`Webhook::construct_visit`].
#[derive(Clone, Debug)]
pub struct VisitWebhook(pub Webhook);

impl Verifier for VisitWebhook {
    type Output = Visit;
    const SIGNATURE_HEADER: &'static str = VISIT_SIGNATURE_HEADER;

    fn max_body_bytes(&self) -> usize {
        self.0.max_body_bytes()
    }

    fn verify(&self, body: &[u8], headers: &HeaderMap) -> Result<Visit, Error> {
        // Absent is the empty signature: `missing_signature`.
        let signature = find_header(header_pairs(headers), VISIT_SIGNATURE_HEADER)
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default();
        self.0.construct_visit(body, &signature)
    }
}

/// Whether `headers` holds a non-empty `name` header (for the logs and
/// hooks: present or absent, never the value).
pub(crate) fn signature_present(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|value| !value.as_bytes().trim_ascii().is_empty())
}
