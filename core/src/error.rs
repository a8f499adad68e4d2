//! The one error type, with stable codes shared by every language binding.

use std::fmt;

/// Every code an [`Error`] can carry, in the order the checks run.
///
/// The bindings test their own lists against this one, so a code added here
/// without a binding update fails their tests.
pub const ERROR_CODES: [&str; 8] = [
    "invalid_secret",
    "body_too_large",
    "missing_signature",
    "malformed_signature",
    "signature_mismatch",
    "invalid_body",
    "invalid_payload",
    "timestamp_out_of_tolerance",
];

/// The HTTP status a receiver answers with for each of [`ERROR_CODES`], in
/// the same order: 413 for `body_too_large`, 401 for `signature_mismatch`
/// and `timestamp_out_of_tolerance`, 400 for the other refusals, and 500 for
/// `invalid_secret` (a configuration error, which only construction reports).
pub const ERROR_HTTP_STATUSES: [u16; 8] = [500, 413, 400, 400, 401, 400, 400, 401];

/// Why a webhook was refused. Match on the variant, or use [`Error::code`].
///
/// Messages describe the input's shape (lengths, field paths), never a secret
/// and never a value taken from the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// At construction: no secret, or an empty one.
    InvalidSecret,
    /// The body is longer than the configured maximum; found before any hashing.
    BodyTooLarge {
        /// The configured maximum, in bytes.
        limit: usize,
        /// The body's length, in bytes.
        actual: usize,
    },
    /// No signature header, or an empty one.
    MissingSignature,
    /// After trimming, the signature is not exactly 64 hex digits.
    MalformedSignature {
        /// The trimmed signature's length, in bytes.
        length: usize,
    },
    /// A Bitnob signature that, after trimming, is neither 64 hex digits
    /// (HMAC-SHA256) nor, with the legacy scheme on, 128 (HMAC-SHA512).
    MalformedBitnobSignature {
        /// The trimmed signature's length, in bytes.
        length: usize,
        /// Whether the legacy HMAC-SHA512 scheme (128 hex digits) is accepted.
        legacy_sha512: bool,
    },
    /// No configured secret produces that signature.
    SignatureMismatch,
    /// Not UTF-8, not JSON, not a JSON object, or nested too deep.
    InvalidBody(String),
    /// A JSON object, but not the documented shape.
    InvalidPayload(String),
    /// The signed timestamp (the payload's `timestamp`, or Bitnob's
    /// `X-Bitnob-Timestamp`) is further from now than the tolerance, absent,
    /// or unreadable.
    TimestampOutOfTolerance,
}

impl Error {
    /// The stable snake_case code, identical in every language.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidSecret => "invalid_secret",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::MissingSignature => "missing_signature",
            Error::MalformedSignature { .. } | Error::MalformedBitnobSignature { .. } => {
                "malformed_signature"
            }
            Error::SignatureMismatch => "signature_mismatch",
            Error::InvalidBody(_) => "invalid_body",
            Error::InvalidPayload(_) => "invalid_payload",
            Error::TimestampOutOfTolerance => "timestamp_out_of_tolerance",
        }
    }

    /// The HTTP status a receiver should answer with (see [`ERROR_HTTP_STATUSES`]).
    pub fn http_status(&self) -> u16 {
        ERROR_CODES
            .iter()
            .zip(ERROR_HTTP_STATUSES)
            .find_map(|(code, status)| (*code == self.code()).then_some(status))
            .unwrap_or(400)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            Error::InvalidSecret => {
                write!(
                    f,
                    "{code}: a webhook secret is required and must not be empty"
                )
            }
            Error::BodyTooLarge { limit, actual } => write!(
                f,
                "{code}: the body is {actual} bytes, more than the limit of {limit} bytes"
            ),
            Error::MissingSignature => write!(
                f,
                "{code}: the request has no signature header, or an empty one"
            ),
            Error::MalformedSignature { length } => write!(
                f,
                "{code}: the signature must be exactly 64 hex digits, got a {length}-byte value that is not"
            ),
            Error::MalformedBitnobSignature {
                length,
                legacy_sha512: true,
            } => write!(
                f,
                "{code}: a Bitnob signature must be 64 hex digits (HMAC-SHA256) or 128 \
                 (the legacy HMAC-SHA512), got a {length}-byte value that is neither"
            ),
            Error::MalformedBitnobSignature {
                length: 128,
                legacy_sha512: false,
            } => write!(
                f,
                "{code}: got a 128-byte value, the length of a legacy HMAC-SHA512 signature, \
                 but the SHA-512 scheme is switched off: the signature must be exactly 64 hex \
                 digits (HMAC-SHA256 of the timestamp and the body)"
            ),
            Error::MalformedBitnobSignature { length, .. } => write!(
                f,
                "{code}: the signature must be exactly 64 hex digits (HMAC-SHA256; the \
                 SHA-512 scheme is switched off), got a {length}-byte value that is not"
            ),
            Error::SignatureMismatch => write!(
                f,
                "{code}: the signature does not match the body for any configured secret \
                 (was the raw body passed, exactly as received?)"
            ),
            Error::InvalidBody(why) | Error::InvalidPayload(why) => write!(f, "{code}: {why}"),
            Error::TimestampOutOfTolerance => write!(
                f,
                "{code}: the signed timestamp (the payload's, or Bitnob's X-Bitnob-Timestamp) \
                 is missing, unreadable, or outside the configured tolerance"
            ),
        }
    }
}

impl std::error::Error for Error {}
