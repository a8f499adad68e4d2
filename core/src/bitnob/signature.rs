//! The signature's side of a Bitnob delivery: its three headers, the
//! checks before hashing (presence, shape, scheme), what the MACs are
//! computed over, and the constant-time compare, whether the core computes
//! the MACs or a binding does (Web Crypto).

use std::borrow::Cow;

use subtle::Choice;

use crate::error::Error;
use crate::hex::decode_hex;
use crate::verifier::any_mac_matches;

/// The header Bitnob puts its signature in.
pub const BITNOB_SIGNATURE_HEADER: &str = "X-Bitnob-Signature";

/// The header with the Unix time (in seconds) the delivery was signed at.
pub const BITNOB_TIMESTAMP_HEADER: &str = "X-Bitnob-Timestamp";

/// The header naming the event (not covered by the signature).
pub const BITNOB_EVENT_HEADER: &str = "X-Bitnob-Event";

/// The scheme a signature was made with, told by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    /// 64 hex digits: HMAC-SHA256 of `{timestamp}.{body}`.
    Timestamped,
    /// 128 hex digits: HMAC-SHA512 of the body alone; no timestamp signed.
    LegacySha512,
}

/// The three Bitnob headers, found case-insensitively in one pass.
#[derive(Default)]
pub(super) struct Headers<'a> {
    pub(super) signature: Option<Cow<'a, str>>,
    pub(super) timestamp: Option<Cow<'a, str>>,
    pub(super) event: Option<Cow<'a, str>>,
}

impl<'a> Headers<'a> {
    /// As [`crate::find_header`] reads each one: names matched
    /// case-insensitively (surrounding whitespace ignored), a repeated
    /// header's values joined with `", "`.
    pub(super) fn find(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut found = Self::default();
        for (name, value) in headers {
            let name = name.trim_ascii();
            let slot = if name.eq_ignore_ascii_case(BITNOB_SIGNATURE_HEADER) {
                &mut found.signature
            } else if name.eq_ignore_ascii_case(BITNOB_TIMESTAMP_HEADER) {
                &mut found.timestamp
            } else if name.eq_ignore_ascii_case(BITNOB_EVENT_HEADER) {
                &mut found.event
            } else {
                continue;
            };
            *slot = Some(match slot.take() {
                None => Cow::Borrowed(value),
                Some(previous) => Cow::Owned(format!("{previous}, {value}")),
            });
        }
        found
    }

    /// The timestamp exactly as sent, which the timestamped scheme signs;
    /// an absent one is empty text.
    pub(super) fn signed_timestamp(&self) -> &str {
        self.timestamp.as_deref().unwrap_or_default()
    }
}

/// A signature that passed the checks before hashing: its bytes, which
/// tell the scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expected {
    /// [`Scheme::Timestamped`]'s HMAC-SHA256.
    Sha256([u8; 32]),
    /// [`Scheme::LegacySha512`]'s HMAC-SHA512.
    Sha512([u8; 64]),
}

impl Expected {
    /// The checks before hashing, in the sync path's order after the size:
    /// `missing_signature`, then `malformed_signature` (neither 64 nor,
    /// with the legacy scheme on, 128 hex digits).
    pub(super) fn of(headers: &Headers<'_>, legacy_sha512: bool) -> Result<Self, Error> {
        let signature = headers
            .signature
            .as_deref()
            .unwrap_or_default()
            .trim_ascii();
        if signature.is_empty() {
            return Err(Error::MissingSignature);
        }
        let malformed = || Error::MalformedBitnobSignature {
            length: signature.len(),
            legacy_sha512,
        };
        match signature.len() {
            64 => decoded(signature).map(Self::Sha256).ok_or_else(malformed),
            128 if legacy_sha512 => decoded(signature).map(Self::Sha512).ok_or_else(malformed),
            _ => Err(malformed()),
        }
    }

    /// The signature's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Self::Sha256(tag) => tag,
            Self::Sha512(tag) => tag,
        }
    }

    pub(super) fn scheme(&self) -> Scheme {
        match self {
            Self::Sha256(_) => Scheme::Timestamped,
            Self::Sha512(_) => Scheme::LegacySha512,
        }
    }

    /// Whether any of `macs` (the MAC under each of `count` secrets, end
    /// to end) is this signature: each one compared in constant time, none
    /// skipped. MACs of another length than `count` of this scheme's never
    /// match.
    pub(super) fn matches_any(&self, macs: &[u8], count: usize) -> Choice {
        any_mac_matches(self.bytes(), macs, count)
    }

    /// The signature check's answer once every MAC was compared: the
    /// scheme, or `signature_mismatch`.
    pub(super) fn outcome(&self, matched: Choice) -> Result<Scheme, Error> {
        if bool::from(matched) {
            Ok(self.scheme())
        } else {
            Err(Error::SignatureMismatch)
        }
    }
}

/// What a Bitnob delivery's MACs are computed over, for a binding that
/// computes them outside the core (Web Crypto): the scheme's HMAC, the
/// message it covers, and the signature, as
/// [`BitnobWebhook::precheck`](crate::BitnobWebhook::precheck) answers
/// once the checks before hashing pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitnobMacInput<'a> {
    pub(super) expected: Expected,
    pub(super) timestamp: Cow<'a, str>,
}

impl BitnobMacInput<'_> {
    /// The signature's bytes (32 for the timestamped scheme, 64 for the
    /// legacy one): what each MAC is compared with.
    pub fn signature(&self) -> &[u8] {
        self.expected.bytes()
    }

    /// The timestamped scheme: `Some(timestamp)`, each MAC being the
    /// HMAC-SHA256 of `{timestamp}.{body}` with this text's UTF-8 bytes
    /// exactly (the `X-Bitnob-Timestamp` value as sent, repeats joined with
    /// `", "`; empty when absent). The legacy scheme: `None`, each MAC
    /// being the HMAC-SHA512 of the body alone.
    pub fn timestamp(&self) -> Option<&str> {
        match self.expected.scheme() {
            Scheme::Timestamped => Some(&self.timestamp),
            Scheme::LegacySha512 => None,
        }
    }

    /// Each MAC's length in bytes: 32 (HMAC-SHA256) or 64 (HMAC-SHA512).
    pub fn mac_len(&self) -> usize {
        self.signature().len()
    }
}

/// 2·N hex digits decoded, or `None` when any is not a hex digit.
fn decoded<const N: usize>(signature: &str) -> Option<[u8; N]> {
    match decode_hex::<N>(signature.as_bytes()) {
        Some((bytes, valid)) if bool::from(valid) => Some(bytes),
        _ => None,
    }
}
