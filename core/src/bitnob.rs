//! Bitnob webhooks: the timestamped HMAC-SHA256 scheme, the legacy
//! HMAC-SHA512 one, secret rotation, and generic events.
//!
//! Bitnob signs `{X-Bitnob-Timestamp}.{raw body}` with HMAC-SHA256 and sends
//! the hex in `X-Bitnob-Signature`; an older scheme sends the hex
//! HMAC-SHA512 of the body alone (128 hex digits, told apart by its length).
//! The event's name is in `X-Bitnob-Event`, which the signature does not
//! cover, so it must agree with the signed body's `event` when both are
//! there.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::event::{CheckedEvent, Event, GenericEvent};
use crate::hex::to_hex;
use crate::json::utf8;
use crate::schema::Reader;
use crate::verifier::{DEFAULT_MAX_BODY_BYTES, Secrets, secret_constructors};

mod signature;

pub use signature::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobMacInput,
};
use signature::{Expected, Headers, Scheme};

/// The replay window a [`BitnobWebhook`] starts with: 300 seconds, as Bitnob
/// suggests.
pub const DEFAULT_BITNOB_TOLERANCE: Duration = Duration::from_secs(300);

/// The longest timestamp read: 19 decimal digits (any `u64` below 10^19).
const MAX_TIMESTAMP_DIGITS: usize = 19;

type HmacSha256 = Hmac<Sha256>;
type HmacSha512 = Hmac<Sha512>;

/// One configured secret: HMAC's keyed states for both schemes (wiped on
/// drop, hmac's `zeroize` feature) and its last 4 characters, which Bitnob's
/// dashboard shows. The secret itself is not kept.
#[derive(Clone)]
struct Key {
    sha256: HmacSha256,
    sha512: HmacSha512,
    last4: String,
}

impl Key {
    /// A non-empty secret's key.
    fn new(secret: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            sha256: HmacSha256::new_from_slice(secret).map_err(|_| Error::InvalidSecret)?,
            sha512: HmacSha512::new_from_slice(secret).map_err(|_| Error::InvalidSecret)?,
            last4: secret_last4(secret),
        })
    }
}

/// A verifier for one Bitnob webhook endpoint, holding one secret or several
/// (rotation: Bitnob stops the old secret at once, so a receiver keeps both
/// only while it switches over).
///
/// Defaults: a 300-second replay window, the legacy HMAC-SHA512 scheme
/// accepted, bodies up to 1 MiB. Verification computes the MAC under every
/// configured secret whichever one matches, and compares in constant time.
///
/// ```
/// use bullseye_webhooks::{BitnobWebhook, sign_bitnob};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let body = br#"{"event":"virtualcard.transaction.debit","data":{"amount":500}}"#;
/// let signature = sign_bitnob("sk_new", "1700000000", body);
/// let headers = [
///     ("x-bitnob-signature", signature.as_str()),
///     ("x-bitnob-timestamp", "1700000000"),
///     ("x-bitnob-event", "virtualcard.transaction.debit"),
/// ];
///
/// let bitnob = BitnobWebhook::with_secrets(["sk_new", "sk_old"])?;
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_060);
/// let event = bitnob.construct_event_at(body, headers, now)?;
/// assert_eq!(event.event_type(), "virtualcard.transaction.debit");
/// assert_eq!(event.raw()["data"]["amount"], 500);
/// # Ok::<(), bullseye_webhooks::Error>(())
/// ```
// `Debug` shows how many secrets, never one (see `Secrets`).
#[derive(Clone, Debug)]
pub struct BitnobWebhook {
    secrets: Secrets<Key>,
    tolerance: Option<Duration>,
    legacy_sha512: bool,
    max_body_bytes: usize,
}

impl BitnobWebhook {
    secret_constructors!(Key, "as configured (its UTF-8 bytes; never decoded)");

    fn from_secrets(secrets: Secrets<Key>) -> Self {
        Self {
            secrets,
            tolerance: Some(DEFAULT_BITNOB_TOLERANCE),
            legacy_sha512: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Refuse timestamped deliveries whose `X-Bitnob-Timestamp` is further
    /// than `tolerance` from now, in either direction (exactly `tolerance`
    /// away is accepted; times are compared in whole seconds). Default
    /// [`DEFAULT_BITNOB_TOLERANCE`].
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// No replay window: the timestamp is signed but not compared with the
    /// clock.
    #[must_use]
    pub fn without_tolerance(mut self) -> Self {
        self.tolerance = None;
        self
    }

    /// Accept (`true`, the default) or refuse the legacy scheme: the hex
    /// HMAC-SHA512 of the body alone, 128 hex digits. It signs no
    /// timestamp, so the replay window cannot apply to it: such a delivery
    /// has no replay protection. Switch it off once the sender uses the
    /// timestamped scheme; a 128-digit signature is then
    /// `malformed_signature`.
    #[must_use]
    pub fn with_legacy_sha512(mut self, legacy_sha512: bool) -> Self {
        self.legacy_sha512 = legacy_sha512;
        self
    }

    /// Refuse bodies longer than `max_body_bytes` before hashing them
    /// (default [`DEFAULT_MAX_BODY_BYTES`]).
    #[must_use]
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// The replay window, if on.
    pub fn tolerance(&self) -> Option<Duration> {
        self.tolerance
    }

    /// Whether the legacy HMAC-SHA512 scheme is accepted.
    pub fn legacy_sha512(&self) -> bool {
        self.legacy_sha512
    }

    /// The configured body size limit, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How many secrets this verifier accepts.
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// The indexes (in configuration order) of the secrets whose last 4
    /// characters are `last4`, as Bitnob's dashboard shows them
    /// (`signing_secret_last4`): "is this receiver using the secret Bitnob
    /// shows?" Only each secret's last 4 characters are kept for this.
    ///
    /// ```
    /// use bullseye_webhooks::BitnobWebhook;
    ///
    /// let bitnob = BitnobWebhook::with_secrets(["sk_live_aaaa1234", "sk_live_bbbb9876"])?;
    /// assert_eq!(bitnob.secrets_ending_in("9876"), [1]);
    /// assert!(bitnob.secrets_ending_in("0000").is_empty());
    /// # Ok::<(), bullseye_webhooks::Error>(())
    /// ```
    pub fn secrets_ending_in(&self, last4: &str) -> Vec<usize> {
        self.secrets
            .iter()
            .enumerate()
            .filter(|(_, key)| bool::from(key.last4.as_bytes().ct_eq(last4.as_bytes())))
            .map(|(index, _)| index)
            .collect()
    }

    /// Check the signature, then (for a timestamped delivery, with the
    /// window on) the timestamp against the system clock.
    ///
    /// `headers` are the request's (name, value) pairs; names are matched
    /// case-insensitively. Errors, in order: `body_too_large`,
    /// `missing_signature`, `malformed_signature`, `signature_mismatch`,
    /// `timestamp_out_of_tolerance`.
    pub fn verify<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), Error> {
        self.verify_with(body, headers, SystemTime::now)
    }

    /// [`BitnobWebhook::verify`] with the window measured from `now`.
    pub fn verify_at<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: SystemTime,
    ) -> Result<(), Error> {
        self.verify_with(body, headers, || now)
    }

    /// Verify the delivery, then read it into a generic [`Event`]: its type
    /// from `X-Bitnob-Event`, or else the body's `event`, and the whole
    /// JSON object.
    ///
    /// Errors, in the contract's order: the signature's (as
    /// [`BitnobWebhook::verify`]), `invalid_body` (not UTF-8, not JSON, not
    /// an object, nested deeper than 128), `invalid_payload` (no event name,
    /// or the unsigned header disagrees with the signed body's `event`),
    /// `timestamp_out_of_tolerance`.
    pub fn construct_event<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Event, Error> {
        self.construct_event_at_with(body, headers, SystemTime::now)
    }

    /// [`BitnobWebhook::construct_event`] with the window measured from
    /// `now` (tests, replays, platforms without a clock).
    pub fn construct_event_at<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: SystemTime,
    ) -> Result<Event, Error> {
        self.construct_event_at_with(body, headers, || now)
    }

    /// [`BitnobWebhook::construct_event`]'s checks and answer without
    /// building the event, for bindings that build their own object from
    /// the verified text (JavaScript's `JSON.parse`). `mismatches` is
    /// always empty: Bitnob payloads have no typed fields.
    pub fn check_event<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<CheckedEvent, Error> {
        self.check_event_with(body, headers, SystemTime::now)
    }

    /// [`BitnobWebhook::check_event`] with the window measured from `now`.
    pub fn check_event_at<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: SystemTime,
    ) -> Result<CheckedEvent, Error> {
        self.check_event_with(body, headers, || now)
    }

    /// The checks [`BitnobWebhook::verify`] makes before any hashing, on a
    /// body of `body_len` bytes: `body_too_large`, `missing_signature`,
    /// `malformed_signature`. For a binding that computes the MACs
    /// elsewhere (Web Crypto): call this first, hash only if it passes (as
    /// the answer says: which HMAC, over which bytes), then call
    /// [`BitnobWebhook::verify_macs_at`] or
    /// [`BitnobWebhook::check_event_with_macs_at`].
    pub fn precheck<'a>(
        &self,
        body_len: usize,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<BitnobMacInput<'a>, Error> {
        let headers = Headers::find(headers);
        let expected = self.expected(body_len, &headers)?;
        Ok(BitnobMacInput {
            expected,
            timestamp: headers.timestamp.unwrap_or_default(),
        })
    }

    /// [`BitnobWebhook::verify_at`] with the MACs computed by the caller,
    /// as [`BitnobWebhook::precheck`] says: `macs` holds the MAC under each
    /// configured secret, end to end in configuration order (32 bytes each
    /// for the timestamped scheme, 64 for the legacy one). The same checks
    /// in the same order (the size from `body_len`), the same constant-time
    /// compare against every secret with no early exit, then the window.
    /// MACs of another length never match.
    pub fn verify_macs_at<'a>(
        &self,
        body_len: usize,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        macs: &[u8],
        now: SystemTime,
    ) -> Result<(), Error> {
        let headers = Headers::find(headers);
        let scheme = self.check_macs(body_len, &headers, macs)?;
        self.check_timestamp(scheme, headers.timestamp.as_deref(), || now)
    }

    /// [`BitnobWebhook::check_event_at`] with the MACs computed by the
    /// caller, as [`BitnobWebhook::verify_macs_at`] takes them: the same
    /// checks, in the same order, with the same errors.
    pub fn check_event_with_macs_at<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        macs: &[u8],
        now: SystemTime,
    ) -> Result<CheckedEvent, Error> {
        let headers = Headers::find(headers);
        let scheme = self.check_macs(body.len(), &headers, macs)?;
        let (_, event_type) = self.read(scheme, body, &headers, || now)?;
        Ok(CheckedEvent::other_sender(event_type))
    }

    fn verify_with<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: impl FnOnce() -> SystemTime,
    ) -> Result<(), Error> {
        let headers = Headers::find(headers);
        let scheme = self.check_signature(body, &headers)?;
        self.check_timestamp(scheme, headers.timestamp.as_deref(), now)
    }

    fn construct_event_at_with<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: impl FnOnce() -> SystemTime,
    ) -> Result<Event, Error> {
        let headers = Headers::find(headers);
        let scheme = self.check_signature(body, &headers)?;
        let (text, event_type) = self.read(scheme, body, &headers, now)?;
        Ok(Event::Other(GenericEvent::from_checked(event_type, text)))
    }

    fn check_event_with<'a>(
        &self,
        body: &[u8],
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: impl FnOnce() -> SystemTime,
    ) -> Result<CheckedEvent, Error> {
        let headers = Headers::find(headers);
        let scheme = self.check_signature(body, &headers)?;
        let (_, event_type) = self.read(scheme, body, &headers, now)?;
        Ok(CheckedEvent::other_sender(event_type))
    }

    /// The checks of `construct_event` after the signature's, in order:
    /// the body as text and the event's type, then the window.
    fn read<'b>(
        &self,
        scheme: Scheme,
        body: &'b [u8],
        headers: &Headers<'_>,
        now: impl FnOnce() -> SystemTime,
    ) -> Result<(&'b str, String), Error> {
        let text = utf8(body)?;
        let event_type = event_type(headers.event.as_deref(), body_event(text)?)?;
        self.check_timestamp(scheme, headers.timestamp.as_deref(), now)?;
        Ok((text, event_type))
    }

    /// The checks before hashing, on a body of `body_len` bytes: its size,
    /// then the signature's presence and shape (which tells the scheme).
    fn expected(&self, body_len: usize, headers: &Headers<'_>) -> Result<Expected, Error> {
        if body_len > self.max_body_bytes {
            return Err(Error::BodyTooLarge {
                limit: self.max_body_bytes,
                actual: body_len,
            });
        }
        Expected::of(headers, self.legacy_sha512)
    }

    /// The size, presence, shape and value of the signature; the scheme it
    /// was made with. The MACs computed here, under every secret.
    fn check_signature(&self, body: &[u8], headers: &Headers<'_>) -> Result<Scheme, Error> {
        let expected = self.expected(body.len(), headers)?;
        let mut matched = Choice::from(0);
        // No early exit: every secret costs the same whichever matches.
        match &expected {
            Expected::Sha256(signature) => {
                for key in self.secrets.iter() {
                    let mut mac = key.sha256.clone();
                    mac.update(headers.signed_timestamp().as_bytes());
                    mac.update(b".");
                    mac.update(body);
                    let tag = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
                    matched |= tag.ct_eq(signature);
                }
            }
            Expected::Sha512(signature) => {
                for key in self.secrets.iter() {
                    let mut mac = key.sha512.clone();
                    mac.update(body);
                    let tag = Zeroizing::new(<[u8; 64]>::from(mac.finalize().into_bytes()));
                    matched |= tag.ct_eq(signature);
                }
            }
        }
        expected.outcome(matched)
    }

    /// [`BitnobWebhook::check_signature`] with the MACs computed by the
    /// caller (see [`BitnobWebhook::verify_macs_at`]).
    fn check_macs(
        &self,
        body_len: usize,
        headers: &Headers<'_>,
        macs: &[u8],
    ) -> Result<Scheme, Error> {
        let expected = self.expected(body_len, headers)?;
        expected.outcome(expected.matches_any(macs, self.secrets.len()))
    }

    /// With the window on, a timestamped delivery's `X-Bitnob-Timestamp`
    /// must be readable and within it of `now` (called only then).
    fn check_timestamp(
        &self,
        scheme: Scheme,
        timestamp: Option<&str>,
        now: impl FnOnce() -> SystemTime,
    ) -> Result<(), Error> {
        let Some(tolerance) = self.tolerance else {
            return Ok(());
        };
        if scheme == Scheme::LegacySha512 {
            return Ok(());
        }
        // A timestamp that cannot be read cannot be shown to be fresh.
        let signed_at = timestamp
            .and_then(parse_unix_seconds)
            .ok_or(Error::TimestampOutOfTolerance)?;
        let now = match now().duration_since(UNIX_EPOCH) {
            Ok(after) => i128::from(after.as_secs()),
            Err(before) => -i128::from(before.duration().as_secs()),
        };
        let skew = (i128::from(signed_at) - now).unsigned_abs();
        if skew > u128::from(tolerance.as_secs()) {
            return Err(Error::TimestampOutOfTolerance);
        }
        Ok(())
    }
}

/// Unix seconds written as 1 to 19 ASCII decimal digits, nothing else (no
/// sign, no spaces, no fraction).
fn parse_unix_seconds(text: &str) -> Option<u64> {
    if text.is_empty()
        || text.len() > MAX_TIMESTAMP_DIGITS
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    text.parse().ok()
}

/// The body checked as a JSON object (the contract's body checks, by the
/// crate's one reader) and its `event`, when that is a non-empty string.
fn body_event(text: &str) -> Result<Option<String>, Error> {
    let mut event = None;
    Reader::new(text, None).root(|r| {
        r.members(|r, key| {
            if key == b"event" {
                event = r.type_name()?;
            } else {
                r.skip()?;
            }
            Ok(())
        })
    })?;
    Ok(event)
}

/// The event's type: the `X-Bitnob-Event` header's (trimmed, when not
/// empty), else the body's `event`. The header is not signed, so when both
/// are there they must agree.
fn event_type(header: Option<&str>, body: Option<String>) -> Result<String, Error> {
    let header = header.map(str::trim_ascii).filter(|name| !name.is_empty());
    match (header, body) {
        (Some(header), Some(body)) if header != body => Err(Error::InvalidPayload(format!(
            "the {BITNOB_EVENT_HEADER} header, which the signature does not cover, \
             disagrees with the signed body's `event`"
        ))),
        (Some(header), _) => Ok(header.to_owned()),
        (None, Some(body)) => Ok(body),
        (None, None) => Err(Error::InvalidPayload(format!(
            "no event name: no {BITNOB_EVENT_HEADER} header (or an empty one), and the body has \
             no `event` that is a non-empty string"
        ))),
    }
}

/// The last 4 characters of `secret` (fewer when it is shorter), as Bitnob's
/// dashboard shows them in `signing_secret_last4`. A secret that is not
/// UTF-8 is read with U+FFFD for its invalid bytes.
///
/// ```
/// use bullseye_webhooks::secret_last4;
///
/// assert_eq!(secret_last4("sk_live_3f9a7c21"), "7c21");
/// assert_eq!(secret_last4("abc"), "abc");
/// ```
pub fn secret_last4(secret: impl AsRef<[u8]>) -> String {
    let text = String::from_utf8_lossy(secret.as_ref());
    let start = text.char_indices().rev().nth(3).map_or(0, |(at, _)| at);
    text.get(start..).unwrap_or_default().to_owned()
}

/// The `X-Bitnob-Signature` value for `body` sent with `X-Bitnob-Timestamp:
/// {timestamp}`: lowercase hex of HMAC-SHA256 over `{timestamp}.{body}`.
/// For tests and local senders; receivers call [`BitnobWebhook::verify`].
///
/// ```
/// assert_eq!(
///     bullseye_webhooks::sign_bitnob("sk_test", "1700000000", b"{}"),
///     "cca4f500322c04400c17c647cb441a78dc036e52c3699bc664a2c1aa9b7e8709",
/// );
/// ```
pub fn sign_bitnob(secret: impl AsRef<[u8]>, timestamp: &str, body: &[u8]) -> String {
    let mut mac = keyed::<HmacSha256>(secret.as_ref());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    to_hex(&mac.finalize().into_bytes())
}

/// The legacy `X-Bitnob-Signature` value for `body`: lowercase hex of
/// HMAC-SHA512 of the body alone (128 digits; no timestamp signed).
pub fn sign_bitnob_legacy(secret: impl AsRef<[u8]>, body: &[u8]) -> String {
    let mut mac = keyed::<HmacSha512>(secret.as_ref());
    mac.update(body);
    to_hex(&mac.finalize().into_bytes())
}

/// HMAC keyed with `secret`; HMAC accepts keys of every length.
fn keyed<M: KeyInit>(secret: &[u8]) -> M {
    match M::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

#[cfg(test)]
mod tests;
