//! The Bullseye verifier: HMAC-SHA256 signing and constant-time
//! verification with secret rotation, then the event or visit the verified
//! body holds.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::event::{CheckedEvent, Event, check_body, event_from_body};
#[cfg(not(target_arch = "wasm32"))]
use crate::hex::same_tag;
use crate::hex::{decode_hex, to_hex};
use crate::schema::Visit;
use crate::verifier::{DEFAULT_MAX_BODY_BYTES, Secrets, any_mac_matches, secret_constructors};
use crate::visit::{CheckedVisit, check_visit_body, visit_from_body};

/// The header Bullseye puts its signature in.
pub const SIGNATURE_HEADER: &str = "X-Bullseye-Signature";

type HmacSha256 = Hmac<Sha256>;

/// One configured secret, kept in the two forms verification needs.
///
/// `mac` is HMAC's keyed state (the key already absorbed), so each verification
/// starts from a clone and never re-hashes the key; `token_digest` is SHA-256 of
/// the secret, for fingerprinting-api's static-token mode. Both are wiped on
/// drop (hmac's `zeroize` feature; `Zeroizing`).
#[derive(Clone)]
struct Key {
    mac: HmacSha256,
    token_digest: Zeroizing<[u8; 32]>,
}

/// A verifier for one webhook endpoint, holding one secret or several.
///
/// Several secrets are for rotation: a body signed by any of them is
/// accepted, and verification computes every candidate whichever one matches,
/// so its time says nothing about which secret was used.
///
/// ```
/// use bullseye_webhooks::{sign, Webhook};
///
/// let body = br#"{"event":"visitor.identified","session_id":"s_1"}"#;
/// let signature = sign("whsec_new", body);
///
/// let webhook = Webhook::with_secrets(["whsec_new", "whsec_old"])?;
/// webhook.verify(body, &signature)?;
/// # Ok::<(), bullseye_webhooks::Error>(())
/// ```
// `Debug` shows how many secrets, never one (see `Secrets`).
#[derive(Clone, Debug)]
pub struct Webhook {
    secrets: Secrets<Key>,
    tolerance: Option<Duration>,
    max_body_bytes: usize,
    strict: bool,
}

impl Webhook {
    secret_constructors!(
        Key,
        "exactly as configured in Bullseye (`whsec_...` included; never base64-decoded)"
    );

    fn from_secrets(secrets: Secrets<Key>) -> Self {
        Self {
            secrets,
            tolerance: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            strict: false,
        }
    }

    /// Refuse events whose signed `timestamp` is further than `tolerance` from
    /// now, in either direction. Unset (the default) means no time check, since
    /// Bullseye retries the same payload for about 36 minutes.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Refuse bodies longer than `max_body_bytes` before hashing them
    /// (default [`DEFAULT_MAX_BODY_BYTES`]).
    #[must_use]
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// Refuse a payload whose documented field has another JSON type
    /// (`invalid_payload`, naming the first such field) instead of reading
    /// it leniently and reporting it in `mismatches()`. Off by default: a
    /// refused delivery is retried three times and then lost.
    #[must_use]
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Whether [`Webhook::with_strict`] is on.
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// The configured tolerance, if any.
    pub fn tolerance(&self) -> Option<Duration> {
        self.tolerance
    }

    /// The configured body size limit, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How many secrets this verifier accepts.
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Check that `signature` (the `X-Bullseye-Signature` value) is the
    /// HMAC-SHA256 of the raw `body` under one of the secrets.
    ///
    /// The signature may be in either hex case, with surrounding ASCII
    /// whitespace. Errors, in order: `body_too_large`, `missing_signature`,
    /// `malformed_signature`, `signature_mismatch`. Allocates nothing.
    pub fn verify(&self, body: &[u8], signature: &str) -> Result<(), Error> {
        self.check_size(body)?;
        let expected = decode_signature(signature)?;
        let mut matched = Choice::from(0);
        // No early exit: every secret costs the same whichever one matches.
        for key in self.secrets.iter() {
            let mut mac = key.mac.clone();
            mac.update(body);
            let tag = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
            #[cfg(not(target_arch = "wasm32"))]
            {
                matched |= same_tag(&tag, &expected);
            }
            #[cfg(target_arch = "wasm32")]
            {
                matched |= tag.ct_eq(&expected);
            }
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }

    /// Check a fingerprinting-api `X-Webhook-Signature` value, which the user
    /// configures either as a static shared token (the secret itself) or as
    /// the hex HMAC-SHA256 of the body. Both forms are compared in constant
    /// time against every secret; a value of any length is allowed, so
    /// `malformed_signature` never applies here.
    pub fn verify_visit_signature(&self, body: &[u8], signature: &str) -> Result<(), Error> {
        self.check_size(body)?;
        let signature = signature.trim_ascii();
        if signature.is_empty() {
            return Err(Error::MissingSignature);
        }
        // Tokens are compared as SHA-256 digests so that neither the time
        // nor the code path depends on the token's length.
        let presented: [u8; 32] = Sha256::digest(signature.as_bytes()).into();
        let hmac_form = decode_hex::<32>(signature.as_bytes());
        let mut matched = Choice::from(0);
        for key in self.secrets.iter() {
            matched |= presented.ct_eq(&*key.token_digest);
            let mut mac = key.mac.clone();
            mac.update(body);
            let tag = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
            let (decoded, is_hex) = hmac_form.unwrap_or(([0; 32], Choice::from(0)));
            matched |= tag.ct_eq(&decoded) & is_hex;
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }

    /// The checks [`Webhook::verify`] makes before any hashing, on a body of
    /// `body_len` bytes: `body_too_large`, `missing_signature`,
    /// `malformed_signature`. For a binding that computes the MACs
    /// elsewhere (Web Crypto): call this first, hash only if it passes,
    /// then call [`Webhook::verify_macs`].
    pub fn precheck(&self, body_len: usize, signature: &str) -> Result<(), Error> {
        self.check_len(body_len)?;
        decode_signature(signature).map(|_| ())
    }

    /// [`Webhook::verify`] with the HMAC-SHA256 of the body under each
    /// configured secret computed by the caller: `macs` holds them end to
    /// end, 32 bytes each, in configuration order. The same checks in the
    /// same order as `verify` (the size from `body_len`), and the same
    /// constant-time compare against every secret with no early exit. MACs
    /// of another count than the secrets' never match.
    pub fn verify_macs(&self, body_len: usize, signature: &str, macs: &[u8]) -> Result<(), Error> {
        // precheck's checks, the signature decoded once.
        self.check_len(body_len)?;
        let expected = decode_signature(signature)?;
        if bool::from(any_mac_matches(&expected, macs, self.secrets.len())) {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }

    pub(crate) fn check_size(&self, body: &[u8]) -> Result<(), Error> {
        self.check_len(body.len())
    }

    fn check_len(&self, body_len: usize) -> Result<(), Error> {
        if body_len > self.max_body_bytes {
            return Err(Error::BodyTooLarge {
                limit: self.max_body_bytes,
                actual: body_len,
            });
        }
        Ok(())
    }
}

impl Key {
    /// A non-empty secret's key.
    fn new(secret: &[u8]) -> Result<Self, Error> {
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| Error::InvalidSecret)?;
        Ok(Self {
            mac,
            token_digest: Zeroizing::new(Sha256::digest(secret).into()),
        })
    }
}

// Bullseye events: verified, then read by the event module.
impl Webhook {
    /// Verify `signature` over the raw `body`, then parse it into an [`Event`].
    ///
    /// Errors follow the contract's order: the [`Webhook::verify`] errors,
    /// then `invalid_body`, `invalid_payload` (no usable type, or with
    /// [`Webhook::with_strict`] a mismatch), and (with a tolerance set)
    /// `timestamp_out_of_tolerance`, which is also the answer when a
    /// tolerance is set and the `timestamp` is absent or unreadable.
    pub fn construct_event(&self, body: &[u8], signature: &str) -> Result<Event, Error> {
        self.verify(body, signature)?;
        event_from_body(body, self.strict(), self.tolerance(), SystemTime::now)
    }

    /// [`Webhook::construct_event`]'s answer without building the event:
    /// the same checks and the same errors, and on success the event's type.
    /// For bindings that build their own object from the verified text
    /// (JavaScript's `JSON.parse`) and write each mismatch's typed value at
    /// its path. It builds no typed record (two small allocations: the type
    /// and the reader's path stack).
    pub fn check_event(&self, body: &[u8], signature: &str) -> Result<CheckedEvent, Error> {
        self.verify(body, signature)?;
        check_body(body, self.strict(), self.tolerance(), SystemTime::now)
    }

    /// [`Webhook::check_event`] with the tolerance measured from `now`.
    pub fn check_event_at(
        &self,
        body: &[u8],
        signature: &str,
        now: SystemTime,
    ) -> Result<CheckedEvent, Error> {
        self.verify(body, signature)?;
        check_body(body, self.strict(), self.tolerance(), || now)
    }

    /// [`Webhook::check_event_at`] with the MACs computed by the caller (Web
    /// Crypto), as [`Webhook::verify_macs`] takes them: the same checks, in
    /// the same order, with the same errors.
    pub fn check_event_with_macs_at(
        &self,
        body: &[u8],
        signature: &str,
        macs: &[u8],
        now: SystemTime,
    ) -> Result<CheckedEvent, Error> {
        self.verify_macs(body.len(), signature, macs)?;
        check_body(body, self.strict(), self.tolerance(), || now)
    }

    /// [`Webhook::construct_event`] with the tolerance measured from `now`
    /// instead of the system clock (tests, replays, and platforms without
    /// a clock, such as `wasm32-unknown-unknown`).
    pub fn construct_event_at(
        &self,
        body: &[u8],
        signature: &str,
        now: SystemTime,
    ) -> Result<Event, Error> {
        self.verify(body, signature)?;
        event_from_body(body, self.strict(), self.tolerance(), || now)
    }
}

// fingerprinting-api visits: verified, then read by the visit module.
impl Webhook {
    /// Check a visit's `X-Webhook-Signature` (static token or HMAC, see
    /// [`Webhook::verify_visit_signature`]), then parse it, with this
    /// verifier's body size limit and strictness.
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<Visit, Error> {
        self.verify_visit_signature(body, signature)?;
        visit_from_body(body, self.strict())
    }

    /// [`Webhook::construct_visit`]'s checks and answers without building
    /// the visit (see [`CheckedVisit`]).
    pub fn check_visit(&self, body: &[u8], signature: &str) -> Result<CheckedVisit, Error> {
        self.verify_visit_signature(body, signature)?;
        check_visit_body(body, self.strict())
    }
}

/// The value of header `name` among `headers`, matched case-insensitively
/// (the rule every binding's headers-mapping argument follows). A header
/// given several times has its values joined with `", "`, as HTTP does, so
/// two signatures read as one `malformed_signature` rather than either one
/// silently winning. `None` when absent.
///
/// ```
/// use bullseye_webhooks::{SIGNATURE_HEADER, find_header};
///
/// let headers = [("content-type", "application/json"), ("x-bullseye-signature", "ab12")];
/// assert_eq!(find_header(headers, SIGNATURE_HEADER).as_deref(), Some("ab12"));
/// ```
pub fn find_header<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    name: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    let mut found: Option<std::borrow::Cow<'a, str>> = None;
    for (key, value) in headers {
        if key.trim_ascii().eq_ignore_ascii_case(name) {
            found = Some(match found {
                None => std::borrow::Cow::Borrowed(value),
                Some(previous) => std::borrow::Cow::Owned(format!("{previous}, {value}")),
            });
        }
    }
    found
}

/// The `X-Bullseye-Signature` value for `body` under `secret`: lowercase hex of
/// HMAC-SHA256. For tests and local senders; receivers call [`Webhook::verify`].
///
/// ```
/// assert_eq!(
///     bullseye_webhooks::sign("whsec_test", b"{}"),
///     "46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440",
/// );
/// ```
pub fn sign(secret: impl AsRef<[u8]>, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret.as_ref()) {
        Ok(mac) => mac,
        Err(_) => unreachable_key_length(),
    };
    mac.update(body);
    to_hex(&mac.finalize().into_bytes())
}

#[cold]
fn unreachable_key_length() -> ! {
    unreachable!("HMAC accepts keys of every length")
}

/// Trim, check presence and shape, and decode a Bullseye signature.
fn decode_signature(signature: &str) -> Result<[u8; 32], Error> {
    let trimmed = signature.trim_ascii();
    if trimmed.is_empty() {
        return Err(Error::MissingSignature);
    }
    match decode_hex::<32>(trimmed.as_bytes()) {
        Some((bytes, valid)) if bool::from(valid) => Ok(bytes),
        _ => Err(Error::MalformedSignature {
            length: trimmed.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HMAC of `body` under `secret`, by the hmac crate directly.
    fn mac(secret: &str, body: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn verify_macs_answers_as_verify_does() {
        let body = br#"{"event":"x"}"#;
        let webhook = Webhook::with_secrets(["whsec_a", "whsec_b"])
            .unwrap()
            .with_max_body_bytes(64);
        let macs = [mac("whsec_a", body), mac("whsec_b", body)].concat();
        let good = sign("whsec_b", body);
        let other = sign("whsec_c", body);
        let long = [b'x'; 65];
        for (len, signature) in [
            (body.len(), good.as_str()),
            (body.len(), other.as_str()),
            (body.len(), ""),
            (body.len(), "  "),
            (body.len(), "abc"),
            (body.len(), &"zz".repeat(32)),
            (long.len(), good.as_str()),
        ] {
            let whole = if len == body.len() {
                &body[..]
            } else {
                &long[..]
            };
            let expected = webhook.verify(whole, signature);
            assert_eq!(
                webhook.verify_macs(len, signature, &macs),
                expected,
                "{signature:?}"
            );
            assert_eq!(
                webhook.precheck(len, signature).err(),
                expected.err().filter(|e| *e != Error::SignatureMismatch),
            );
        }
        // The wrong number of MACs never matches.
        let one = mac("whsec_b", body);
        assert_eq!(
            webhook.verify_macs(body.len(), &good, &one),
            Err(Error::SignatureMismatch)
        );
        assert_eq!(
            webhook.verify_macs(body.len(), &good, &[]),
            Err(Error::SignatureMismatch)
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let webhook = Webhook::with_secrets(["whsec_SUPERSECRET", "whsec_OTHER"]).unwrap();
        let debug = format!("{webhook:?}");
        assert!(
            !debug.contains("SUPERSECRET") && !debug.contains("OTHER"),
            "{debug}"
        );
        assert!(debug.contains("[REDACTED; 2]"), "{debug}");
    }
}
