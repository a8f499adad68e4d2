//! The queue envelope: a verified delivery as a receiver hands it to a
//! worker, in one JSON form every language writes and reads.
//!
//! A receiver that answers fast and processes later verifies the delivery,
//! makes its [`Envelope`] (the raw body, the headers its signature scheme
//! needs, when it was received, its delivery key and its scheme), and
//! enqueues [`Envelope::to_json`]. A worker reads it back with
//! [`Envelope::from_json`] and opens it with the verifier
//! ([`Webhook::open_envelope`], [`Webhook::open_visit_envelope`],
//! [`BitnobWebhook::open_envelope`]): the signature is checked again, so a
//! worker trusts nothing the queue says but what the secret proves, and a
//! time tolerance is counted from the received-at time, not from when the
//! worker runs (a queue's delay never refuses a delivery that was fresh
//! when it arrived).
//!
//! The envelope holds no secret: only what the sender sent (the body and
//! its signature headers), the key and a time. The received-at time is not
//! signed; a tolerance checked from it is only as trustworthy as the queue.
//!
//! ```
//! use bullseye_webhooks::{Envelope, Webhook, sign};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let body = br#"{"event_type":"visitor.identified","organization_id":"org_1","session_id":"s_1"}"#;
//! let signature = sign("whsec_test", body);
//! let webhook = Webhook::new("whsec_test")?;
//! let received_at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
//!
//! // The receiver: verify, then enqueue the JSON.
//! let envelope = webhook.make_envelope(body, [("X-Bullseye-Signature", signature.as_str())], received_at)?;
//! assert_eq!(envelope.key(), "bullseye:org_1:visitor.identified:s_1");
//! let queued = envelope.to_json();
//!
//! // The worker: read it back and verify it again.
//! let read = Envelope::from_json(queued.as_bytes(), webhook.max_body_bytes())?;
//! let event = webhook.open_envelope(&read)?;
//! assert_eq!(event.event_type(), "visitor.identified");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::bitnob::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobWebhook,
};
use crate::error::Error;
use crate::event::Event;
use crate::schema::Visit;
use crate::visit::VISIT_SIGNATURE_HEADER;
use crate::webhook::{SIGNATURE_HEADER, Webhook, find_header};

/// The envelope format this crate writes, and the only one it reads. Any
/// change to the form is a new version; a reader refuses versions it does
/// not know rather than guess.
pub const ENVELOPE_VERSION: u32 = 1;

/// The code of an [`EnvelopeError`].
pub const INVALID_ENVELOPE: &str = "invalid_envelope";

/// How much longer than the verifier's body limit an envelope's JSON may
/// be: JSON writes a control character in 6 bytes, so a body escaped at
/// worst is 6 times its length, plus room for the other fields.
const ENVELOPE_OVERHEAD_BYTES: usize = 16 * 1024;

/// Which sender's scheme signed the delivery, and so how a worker verifies
/// it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeScheme {
    /// A Bullseye event (`X-Bullseye-Signature`), opened with
    /// [`Webhook::open_envelope`].
    BullseyeEvent,
    /// A fingerprinting-api visit (`X-Webhook-Signature`), opened with
    /// [`Webhook::open_visit_envelope`].
    Visit,
    /// A Bitnob event (`X-Bitnob-Signature`, `-Timestamp`, `-Event`), opened
    /// with [`BitnobWebhook::open_envelope`].
    Bitnob,
}

impl EnvelopeScheme {
    /// Every scheme, in a fixed order.
    pub const ALL: [EnvelopeScheme; 3] = [
        EnvelopeScheme::BullseyeEvent,
        EnvelopeScheme::Visit,
        EnvelopeScheme::Bitnob,
    ];

    /// Its name in the envelope: `bullseye_event`, `visit` or `bitnob`.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvelopeScheme::BullseyeEvent => "bullseye_event",
            EnvelopeScheme::Visit => "visit",
            EnvelopeScheme::Bitnob => "bitnob",
        }
    }

    /// The scheme named `name`, if any.
    pub fn from_name(name: &str) -> Option<EnvelopeScheme> {
        Self::ALL.into_iter().find(|scheme| scheme.as_str() == name)
    }

    /// The headers this scheme's verification reads, as the envelope keeps
    /// them (lower case); no other header is kept.
    pub fn header_names(self) -> &'static [&'static str] {
        match self {
            EnvelopeScheme::BullseyeEvent => &["x-bullseye-signature"],
            EnvelopeScheme::Visit => &["x-webhook-signature"],
            EnvelopeScheme::Bitnob => {
                &["x-bitnob-event", "x-bitnob-signature", "x-bitnob-timestamp"]
            }
        }
    }
}

impl fmt::Display for EnvelopeScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An envelope that cannot be read or does not fit the verifier opening it
/// (code `invalid_envelope`): not JSON, another version, a missing or
/// unknown field, another scheme, or a key that is not its delivery's. Not
/// a webhook [`Error`]: the queue, not the sender, produced it, and trying
/// again cannot help. Its message never holds the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeError {
    message: String,
}

impl EnvelopeError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// Always [`INVALID_ENVELOPE`].
    pub fn code(&self) -> &'static str {
        INVALID_ENVELOPE
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{INVALID_ENVELOPE}: {}", self.message)
    }
}

impl std::error::Error for EnvelopeError {}

/// Why a worker could not open an envelope: the envelope itself
/// ([`EnvelopeError`]), or the delivery it holds failed verification again
/// (a webhook [`Error`], with its usual code).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// The envelope does not fit this verifier.
    Envelope(EnvelopeError),
    /// The delivery failed verification.
    Webhook(Error),
}

impl OpenError {
    /// `invalid_envelope`, or the webhook error's code.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::Envelope(error) => error.code(),
            OpenError::Webhook(error) => error.code(),
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Envelope(error) => error.fmt(f),
            OpenError::Webhook(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for OpenError {}

impl From<EnvelopeError> for OpenError {
    fn from(error: EnvelopeError) -> Self {
        OpenError::Envelope(error)
    }
}

impl From<Error> for OpenError {
    fn from(error: Error) -> Self {
        OpenError::Webhook(error)
    }
}

/// A verified delivery as a queue carries it. Made by a verifier's
/// `make_envelope` (which verifies first), read by [`Envelope::from_json`].
///
/// `Debug` shows the scheme, key, time, header names and the body's length:
/// never the body (it may hold personal data) nor a header's value.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    scheme: EnvelopeScheme,
    key: String,
    received_at_ms: u64,
    /// Lower-case names, sorted, each from the scheme's list.
    headers: BTreeMap<String, String>,
    body: String,
}

/// The JSON form: one object, its members in this order, the headers'
/// names sorted, no whitespace.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    v: u32,
    scheme: String,
    key: String,
    received_at_ms: u64,
    headers: BTreeMap<String, String>,
    body: String,
}

/// The version alone, read first, so a newer form is refused by its
/// version rather than by a field this reader does not know.
#[derive(Deserialize)]
struct VersionOnly {
    v: Option<u32>,
}

impl Envelope {
    /// The scheme that signed the delivery.
    pub fn scheme(&self) -> EnvelopeScheme {
        self.scheme
    }

    /// The delivery key (see [`crate::delivery`]), as the receiver claimed it.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// When the receiver got the delivery, in milliseconds since the Unix epoch.
    pub fn received_at_ms(&self) -> u64 {
        self.received_at_ms
    }

    /// [`Envelope::received_at_ms`] as a `SystemTime`.
    pub fn received_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.received_at_ms)
    }

    /// The headers kept, as (lower-case name, value) pairs, sorted by name.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The raw body, exactly as received (a verified body is always UTF-8).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The one JSON form: `{"v":1,"scheme":…,"key":…,"received_at_ms":…,
    /// "headers":{…},"body":"…"}`, members in that order, header names
    /// sorted, no whitespace. The same envelope always gives the same text.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            v: ENVELOPE_VERSION,
            scheme: self.scheme.as_str().to_owned(),
            key: self.key.clone(),
            received_at_ms: self.received_at_ms,
            headers: self.headers.clone(),
            body: self.body.clone(),
        };
        // Strings, integers and a map of strings always serialize.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Read an envelope's JSON, refusing (before parsing) one longer than
    /// an envelope of a `max_body_bytes` body can be. Errors
    /// (`invalid_envelope`): too long, not JSON, not version
    /// [`ENVELOPE_VERSION`], a field missing, unknown or of another type,
    /// an unknown scheme, a header the scheme does not read, an empty key.
    pub fn from_json(data: &[u8], max_body_bytes: usize) -> Result<Envelope, EnvelopeError> {
        let limit = max_body_bytes
            .saturating_mul(6)
            .saturating_add(ENVELOPE_OVERHEAD_BYTES);
        if data.len() > limit {
            return Err(EnvelopeError::new(format!(
                "the envelope is {} bytes, more than an envelope of a body of at most {max_body_bytes} bytes can be",
                data.len()
            )));
        }
        let version: VersionOnly = serde_json::from_slice(data)
            .map_err(|e| EnvelopeError::new(format!("not an envelope's JSON object: {e}")))?;
        match version.v {
            Some(ENVELOPE_VERSION) => {}
            Some(other) => {
                return Err(EnvelopeError::new(format!(
                    "envelope version {other}; this reader knows version {ENVELOPE_VERSION} only"
                )));
            }
            None => return Err(EnvelopeError::new("the envelope has no version (`v`)")),
        }
        let wire: Wire = serde_json::from_slice(data)
            .map_err(|e| EnvelopeError::new(format!("not a version 1 envelope: {e}")))?;
        let scheme = EnvelopeScheme::from_name(&wire.scheme).ok_or_else(|| {
            EnvelopeError::new("the envelope's scheme is not bullseye_event, visit or bitnob")
        })?;
        if let Some(name) = wire
            .headers
            .keys()
            .find(|name| !scheme.header_names().contains(&name.as_str()))
        {
            return Err(EnvelopeError::new(format!(
                "the envelope keeps a header its scheme ({scheme}) does not read: {name:?}"
            )));
        }
        if wire.key.is_empty() {
            return Err(EnvelopeError::new("the envelope's key is empty"));
        }
        Ok(Envelope {
            scheme,
            key: wire.key,
            received_at_ms: wire.received_at_ms,
            headers: wire.headers,
            body: wire.body,
        })
    }

    /// An envelope of a delivery already verified by the caller: keeps the
    /// scheme's headers only.
    fn verified(
        scheme: EnvelopeScheme,
        key: String,
        received_at: SystemTime,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Envelope {
        let kept = scheme
            .header_names()
            .iter()
            .filter_map(|name| {
                find_header(headers.iter().copied(), name)
                    .map(|value| ((*name).to_owned(), value.into_owned()))
            })
            .collect();
        Envelope {
            scheme,
            key,
            received_at_ms: millis_since_epoch(received_at),
            headers: kept,
            body: body.to_owned(),
        }
    }

    /// An envelope of a delivery the caller verified itself (a binding
    /// whose verification builds its own event, such as Node's): the
    /// scheme's headers kept, the others dropped. A worker verifies it
    /// again anyway. Errors (`invalid_envelope`): an empty key, a body
    /// that is not UTF-8 (no verified body is).
    pub fn from_verified<'a>(
        scheme: EnvelopeScheme,
        key: &str,
        received_at: SystemTime,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
    ) -> Result<Envelope, EnvelopeError> {
        if key.is_empty() {
            return Err(EnvelopeError::new("the envelope's key is empty"));
        }
        let body = std::str::from_utf8(body)
            .map_err(|_| EnvelopeError::new("the body is not UTF-8, so it was not verified"))?;
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        Ok(Envelope::verified(
            scheme,
            key.to_owned(),
            received_at,
            &headers,
            body,
        ))
    }

    /// Whether this envelope, opened as `scheme` into a delivery whose key
    /// is `key`, fits: the same scheme and the same key as it carries. (The
    /// verifiers' `open_envelope` check this; a binding that verifies by
    /// itself calls it.)
    pub fn check_opened(&self, scheme: EnvelopeScheme, key: &str) -> Result<(), EnvelopeError> {
        self.expect(scheme)?;
        self.expect_key(key)
    }

    /// The envelope's value of `name` (one of its scheme's headers), or "".
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    fn expect(&self, scheme: EnvelopeScheme) -> Result<(), EnvelopeError> {
        if self.scheme == scheme {
            Ok(())
        } else {
            Err(EnvelopeError::new(format!(
                "a {} envelope cannot be opened as {scheme}",
                self.scheme
            )))
        }
    }

    /// The key recomputed from the verified delivery must be the one the
    /// envelope carries (the one the receiver claimed).
    fn expect_key(&self, key: &str) -> Result<(), EnvelopeError> {
        if self.key == key {
            Ok(())
        } else {
            Err(EnvelopeError::new(
                "the envelope's key is not the key of the delivery it holds",
            ))
        }
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("scheme", &self.scheme)
            .field("key", &self.key)
            .field("received_at_ms", &self.received_at_ms)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

fn millis_since_epoch(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

/// The envelope of a body its verifier just accepted (so UTF-8).
fn made(
    scheme: EnvelopeScheme,
    key: String,
    received_at: SystemTime,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Envelope, Error> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::InvalidBody("the body is not UTF-8".to_owned()))?;
    Ok(Envelope::verified(scheme, key, received_at, headers, text))
}

impl Webhook {
    /// Verify a Bullseye event as [`Webhook::construct_event_at`] does,
    /// with the tolerance counted from `received_at` (now, for a receiver),
    /// and make its envelope. `headers` are the request's (name, value)
    /// pairs; only `X-Bullseye-Signature` is kept.
    pub fn make_envelope<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        received_at: SystemTime,
    ) -> Result<Envelope, Error> {
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let signature = find_header(headers.iter().copied(), SIGNATURE_HEADER).unwrap_or_default();
        let checked = self.check_event_at(body, &signature, received_at)?;
        let key = checked.delivery_key(body);
        made(
            EnvelopeScheme::BullseyeEvent,
            key,
            received_at,
            &headers,
            body,
        )
    }

    /// Verify a fingerprinting-api visit as [`Webhook::construct_visit`]
    /// does and make its envelope; only `X-Webhook-Signature` is kept.
    pub fn make_visit_envelope<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        received_at: SystemTime,
    ) -> Result<Envelope, Error> {
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let signature =
            find_header(headers.iter().copied(), VISIT_SIGNATURE_HEADER).unwrap_or_default();
        let checked = self.check_visit(body, &signature)?;
        let key = checked.delivery_key(body);
        made(EnvelopeScheme::Visit, key, received_at, &headers, body)
    }

    /// Verify a `bullseye_event` envelope's delivery again, the tolerance
    /// counted from its received-at time, and check that its key is the
    /// delivery's: the event, as [`Webhook::construct_event`] gives it.
    pub fn open_envelope(&self, envelope: &Envelope) -> Result<Event, OpenError> {
        envelope.expect(EnvelopeScheme::BullseyeEvent)?;
        let event = self.construct_event_at(
            envelope.body.as_bytes(),
            envelope.header("x-bullseye-signature"),
            envelope.received_at(),
        )?;
        envelope.expect_key(&event.delivery_key())?;
        Ok(event)
    }

    /// Verify a `visit` envelope's delivery again and check its key: the
    /// visit, as [`Webhook::construct_visit`] gives it.
    pub fn open_visit_envelope(&self, envelope: &Envelope) -> Result<Visit, OpenError> {
        envelope.expect(EnvelopeScheme::Visit)?;
        let visit = self.construct_visit(
            envelope.body.as_bytes(),
            envelope.header("x-webhook-signature"),
        )?;
        envelope.expect_key(&visit.delivery_key())?;
        Ok(visit)
    }
}

impl BitnobWebhook {
    /// Verify a Bitnob delivery as [`BitnobWebhook::construct_event_at`]
    /// does, its replay window counted from `received_at`, and make its
    /// envelope; `X-Bitnob-Signature`, `-Timestamp` and `-Event` are kept.
    pub fn make_envelope<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        received_at: SystemTime,
    ) -> Result<Envelope, Error> {
        let headers: Vec<(&str, &str)> = headers.into_iter().collect();
        let checked = self.check_event_at(body, headers.iter().copied(), received_at)?;
        let key = checked.delivery_key(body);
        made(EnvelopeScheme::Bitnob, key, received_at, &headers, body)
    }

    /// Verify a `bitnob` envelope's delivery again, the replay window
    /// counted from its received-at time, and check its key.
    pub fn open_envelope(&self, envelope: &Envelope) -> Result<Event, OpenError> {
        envelope.expect(EnvelopeScheme::Bitnob)?;
        let headers = [
            (
                BITNOB_SIGNATURE_HEADER,
                envelope.header("x-bitnob-signature"),
            ),
            (
                BITNOB_TIMESTAMP_HEADER,
                envelope.header("x-bitnob-timestamp"),
            ),
            (BITNOB_EVENT_HEADER, envelope.header("x-bitnob-event")),
        ];
        // An absent header stays absent (an empty X-Bitnob-Event would read
        // as none anyway, but keep the request as it was).
        let present = headers
            .into_iter()
            .filter(|(name, _)| envelope.headers.contains_key(&name.to_ascii_lowercase()));
        let event =
            self.construct_event_at(envelope.body.as_bytes(), present, envelope.received_at())?;
        envelope.expect_key(&event.delivery_key())?;
        Ok(event)
    }
}
