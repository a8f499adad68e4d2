//! Secrets that never print: the webhook secret and the partner API key.

use std::fmt;

use zeroize::Zeroizing;

pub use bullseye_webhooks::{SECRET_PREFIX, SECRET_RANDOM_BYTES};

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
/// system's secure random source, encoded as unpadded base64url (RFC 4648
/// section 5; 43 characters of `A-Z a-z 0-9 - _`, so it is safe in a URL, a
/// shell and an environment variable). The core crate's
/// `bullseye_webhooks::generate_secret`, wrapped so that it never prints.
///
/// The encoding is only a spelling: Bullseye and every verifier use the whole
/// string, prefix included, as the HMAC key's UTF-8 bytes; it is never decoded.
///
/// Fails only when the operating system cannot provide random bytes.
pub fn generate_secret() -> std::io::Result<WebhookSecret> {
    bullseye_webhooks::generate_secret().map(WebhookSecret::new)
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
