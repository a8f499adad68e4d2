//! Secrets that never print: the webhook secret and the partner API key.

use std::fmt;

use zeroize::Zeroizing;

/// The prefix of every generated webhook secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How many random bytes a generated secret carries (256 bits).
pub const SECRET_RANDOM_BYTES: usize = 32;

/// A webhook secret (the HMAC key Bullseye signs with). `Debug` prints
/// `WebhookSecret([REDACTED])`; there is no `Display`; the memory is zeroed
/// on drop. Read it with [`WebhookSecret::expose`] only where it must go out
/// (the request body, the receiver's configuration).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Zeroizing<String>);

impl WebhookSecret {
    /// Wrap a secret given by the user (for example read from an environment
    /// variable).
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret itself. Every call site is a place the secret leaves.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([REDACTED])")
    }
}

impl From<String> for WebhookSecret {
    fn from(secret: String) -> Self {
        Self::new(secret)
    }
}

impl From<&str> for WebhookSecret {
    fn from(secret: &str) -> Self {
        Self::new(secret)
    }
}

/// A new webhook secret: `whsec_` followed by 32 bytes from the operating
/// system's secure random source (`getrandom`), encoded as unpadded
/// base64url (RFC 4648 section 5; 43 characters of `A-Z a-z 0-9 - _`, so it
/// is safe in a URL, a shell and an environment variable).
///
/// The encoding is only a spelling: Bullseye and every verifier use the whole
/// string, prefix included, as the HMAC key's UTF-8 bytes; it is never decoded.
///
/// Fails only when the operating system cannot provide random bytes.
pub fn generate_secret() -> std::io::Result<WebhookSecret> {
    let mut bytes = Zeroizing::new([0u8; SECRET_RANDOM_BYTES]);
    getrandom::fill(bytes.as_mut_slice()).map_err(std::io::Error::other)?;
    let mut out = String::with_capacity(SECRET_PREFIX.len() + 43);
    out.push_str(SECRET_PREFIX);
    base64url(bytes.as_slice(), &mut out);
    Ok(WebhookSecret::new(out))
}

/// Unpadded base64url of `bytes`, appended to `out`.
fn base64url(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let sextet = |n: u32, shift: u32| {
        char::from(
            ALPHABET
                .get(((n >> shift) & 63) as usize)
                .copied()
                .unwrap_or(b'A'),
        )
    };
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        if chunk.len() > 1 {
            out.push(sextet(n, 6));
        }
        if chunk.len() > 2 {
            out.push(sextet(n, 0));
        }
    }
}

/// The partner API key: redacted in `Debug`, zeroed on drop.
#[derive(Clone)]
pub(crate) struct ApiKey(Zeroizing<String>);

impl ApiKey {
    pub(crate) fn new(key: String) -> Self {
        Self(Zeroizing::new(key))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 section 10 test vectors, with the URL-safe alphabet and
        // no padding.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            base64url(input.as_bytes(), &mut out);
            assert_eq!(out, expected, "input {input:?}");
        }
        // The two characters that differ from standard base64.
        let mut out = String::new();
        base64url(&[0xfb, 0xff, 0xbf], &mut out);
        assert_eq!(out, "-_-_");
    }

    #[test]
    fn generated_secrets_are_prefixed_long_and_distinct() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        for s in [&a, &b] {
            let body = s.expose().strip_prefix("whsec_").unwrap();
            assert_eq!(body.len(), 43, "32 bytes are 43 base64url characters");
            assert!(
                body.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            );
        }
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_never_print() {
        let secret = WebhookSecret::new("whsec_do-not-print");
        assert_eq!(format!("{secret:?}"), "WebhookSecret([REDACTED])");
        let key = ApiKey::new("key-do-not-print".into());
        assert_eq!(format!("{key:?}"), "[REDACTED]");
    }
}
