//! HMAC-SHA256 signing and constant-time verification with secret rotation.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::Error;

/// The header Bullseye puts its signature in.
pub const SIGNATURE_HEADER: &str = "X-Bullseye-Signature";

/// The largest body accepted unless [`Webhook::with_max_body_bytes`] says otherwise: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

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
#[derive(Clone)]
pub struct Webhook {
    keys: Vec<Key>,
    tolerance: Option<Duration>,
    max_body_bytes: usize,
    strict: bool,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("secrets", &format_args!("[REDACTED; {}]", self.keys.len()))
            .field("tolerance", &self.tolerance)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("strict", &self.strict)
            .finish()
    }
}

impl Webhook {
    /// A verifier for one secret, used as the HMAC key exactly as configured in
    /// Bullseye (`whsec_...` included; never base64-decoded).
    ///
    /// Fails with `invalid_secret` when the secret is empty.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::with_secrets([secret])
    }

    /// A verifier that accepts a body signed by any of `secrets` (rotation).
    ///
    /// Fails with `invalid_secret` when the list is empty or any secret is empty.
    pub fn with_secrets<S: AsRef<[u8]>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        let keys = keys_of(secrets, Key::new)?;
        Ok(Self {
            keys,
            tolerance: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            strict: false,
        })
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
        self.keys.len()
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
        for key in &self.keys {
            let mut mac = key.mac.clone();
            mac.update(body);
            let tag = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
            matched |= tag.ct_eq(&expected);
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
        let hmac_form = decode_hex32(signature.as_bytes());
        let mut matched = Choice::from(0);
        for key in &self.keys {
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
        self.precheck(body_len, signature)?;
        let expected = decode_signature(signature)?;
        let mut matched = Choice::from(0);
        if macs.len() == 32 * self.keys.len() {
            for tag in macs.chunks_exact(32) {
                matched |= tag.ct_eq(&expected);
            }
        }
        if bool::from(matched) {
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

/// Every verifier's secrets, each made into its key by `key`: at least one,
/// and none empty (`invalid_secret` otherwise), whatever the sender's scheme.
pub(crate) fn keys_of<S: AsRef<[u8]>, K>(
    secrets: impl IntoIterator<Item = S>,
    key: impl Fn(&[u8]) -> Result<K, Error>,
) -> Result<Vec<K>, Error> {
    let keys = secrets
        .into_iter()
        .map(|secret| key(secret.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(Error::InvalidSecret);
    }
    Ok(keys)
}

impl Key {
    fn new(secret: &[u8]) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(Error::InvalidSecret);
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| Error::InvalidSecret)?;
        Ok(Self {
            mac,
            token_digest: Zeroizing::new(Sha256::digest(secret).into()),
        })
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

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

#[cold]
fn unreachable_key_length() -> ! {
    unreachable!("HMAC accepts keys of every length")
}

/// The lowercase hex digit of a nibble (0..=15).
fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    })
}

/// Trim, check presence and shape, and decode a Bullseye signature.
fn decode_signature(signature: &str) -> Result<[u8; 32], Error> {
    let trimmed = signature.trim_ascii();
    if trimmed.is_empty() {
        return Err(Error::MissingSignature);
    }
    match decode_hex32(trimmed.as_bytes()) {
        Some((bytes, valid)) if bool::from(valid) => Ok(bytes),
        _ => Err(Error::MalformedSignature {
            length: trimmed.len(),
        }),
    }
}

/// Decode 64 hex digits (either case). `None` for the wrong length; otherwise
/// the bytes and whether every digit was valid, computed without branching
/// on the digits.
fn decode_hex32(hex: &[u8]) -> Option<([u8; 32], Choice)> {
    decode_hex::<32>(hex)
}

/// Decode `2 * N` hex digits (either case), as [`decode_hex32`] does.
pub(crate) fn decode_hex<const N: usize>(hex: &[u8]) -> Option<([u8; N], Choice)> {
    if hex.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        if let [high, low] = pair {
            let (h, h_bad) = hex_value(*high);
            let (l, l_bad) = hex_value(*low);
            *byte = (h << 4) | l;
            invalid |= h_bad | l_bad;
        }
    }
    Some((out, invalid.ct_eq(&0)))
}

/// One hex digit's value and 1 if it is not a hex digit, branch-free.
fn hex_value(c: u8) -> (u8, u8) {
    let digit = c.wrapping_sub(b'0');
    let lower = (c | 0x20).wrapping_sub(b'a');
    let is_digit = ((u16::from(digit).wrapping_sub(10)) >> 8) as u8 & 1; // digit < 10
    let is_alpha = ((u16::from(lower).wrapping_sub(6)) >> 8) as u8 & 1; // lower < 6
    let value =
        (digit & is_digit.wrapping_neg()) | ((lower.wrapping_add(10)) & is_alpha.wrapping_neg());
    (value, (is_digit | is_alpha) ^ 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_value_matches_the_alphabet() {
        for c in 0..=255u8 {
            let expected = (c as char).to_digit(16);
            let (value, bad) = hex_value(c);
            match expected {
                Some(v) => assert_eq!((value, bad), (v as u8, 0), "byte {c}"),
                None => assert_eq!(bad, 1, "byte {c}"),
            }
        }
    }

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
