//! `http::HeaderMap` as the `(name, value)` pairs every verifier takes
//! (feature `http`), so axum, actix, hyper and tower users write no adapter.

use crate::bitnob::BitnobWebhook;
use crate::error::Error;
use crate::event::{CheckedEvent, Event};
use crate::webhook::{SIGNATURE_HEADER, Webhook, find_header};

/// The headers of `map` as `(name, value)` string pairs, for
/// [`BitnobWebhook::construct_event`], [`find_header`] and the like.
///
/// A value that is not visible ASCII (`HeaderValue::to_str` fails) is left
/// out: no signature, timestamp or event header is anything else, so such a
/// header reads as absent rather than failing the whole request.
///
/// ```
/// use bullseye_webhooks::header_pairs;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-bitnob-event", http::HeaderValue::from_static("charge.success"));
/// let pairs: Vec<(&str, &str)> = header_pairs(&headers).collect();
/// assert_eq!(pairs, [("x-bitnob-event", "charge.success")]);
/// ```
pub fn header_pairs(map: &http::HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    map.iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
}

impl Webhook {
    /// [`Webhook::verify`] with the `X-Bullseye-Signature` header found in
    /// `headers` (feature `http`); none, or an empty one, is
    /// `missing_signature`.
    pub fn verify_headers(&self, body: &[u8], headers: &http::HeaderMap) -> Result<(), Error> {
        self.verify(body, &signature_of(headers))
    }

    /// [`Webhook::construct_event`] with the signature found in `headers`
    /// (feature `http`).
    pub fn construct_event_from_headers(
        &self,
        body: &[u8],
        headers: &http::HeaderMap,
    ) -> Result<Event, Error> {
        self.construct_event(body, &signature_of(headers))
    }

    /// [`Webhook::check_event`] (the event and its field type mismatches)
    /// with the signature found in `headers` (feature `http`).
    pub fn check_event_from_headers(
        &self,
        body: &[u8],
        headers: &http::HeaderMap,
    ) -> Result<CheckedEvent, Error> {
        self.check_event(body, &signature_of(headers))
    }
}

impl BitnobWebhook {
    /// [`BitnobWebhook::construct_event`] from an `http::HeaderMap`
    /// (feature `http`).
    pub fn construct_event_from_headers(
        &self,
        body: &[u8],
        headers: &http::HeaderMap,
    ) -> Result<Event, Error> {
        self.construct_event(body, header_pairs(headers))
    }
}

// Several copies are joined, as `find_header` does, so they read as one
// malformed signature; absent is the empty string, `missing_signature`.
fn signature_of(headers: &http::HeaderMap) -> String {
    find_header(header_pairs(headers), SIGNATURE_HEADER)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default()
}
