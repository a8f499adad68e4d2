//! New webhook secrets: `whsec_` and 32 bytes from the operating system's
//! secure random source, spelled as unpadded base64url.

use zeroize::Zeroizing;

/// The prefix of every generated webhook secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How many random bytes a generated secret carries (256 bits).
pub const SECRET_RANDOM_BYTES: usize = 32;

/// The length of a generated secret: the prefix and 43 base64url characters.
pub const GENERATED_SECRET_LEN: usize = SECRET_PREFIX.len() + 43;

/// A new webhook secret: `whsec_` followed by 32 bytes from the operating
/// system's secure random source (`getrandom`), encoded as unpadded
/// base64url (RFC 4648 section 5): 49 characters in all, the last 43 of
/// `A-Z a-z 0-9 - _`, so it is safe in a URL, a shell and an environment
/// variable.
///
/// The encoding is only a spelling: Bullseye and every verifier use the whole
/// string, prefix included, as the HMAC key's UTF-8 bytes; it is never
/// decoded.
///
/// Fails only when the operating system cannot provide random bytes.
///
/// ```
/// let secret = bullseye_webhooks::generate_secret()?;
/// assert!(secret.starts_with("whsec_"));
/// assert_eq!(secret.len(), 49);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn generate_secret() -> std::io::Result<String> {
    let mut bytes = Zeroizing::new([0u8; SECRET_RANDOM_BYTES]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|e| {
        std::io::Error::other(format!("the OS random number generator failed: {e}"))
    })?;
    let mut out = String::with_capacity(GENERATED_SECRET_LEN);
    out.push_str(SECRET_PREFIX);
    base64url(bytes.as_slice(), &mut out);
    Ok(out)
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
        // 32 bytes: 43 characters, the last one carrying 4 bits (so it is
        // one of A, Q, g, w when the low bits are zero).
        let mut out = String::new();
        base64url(&[0xff; 32], &mut out);
        assert_eq!(out, format!("{}8", "_".repeat(42)));
    }

    #[test]
    fn generated_secrets_are_prefixed_long_and_distinct() {
        let secrets: Vec<String> = (0..64).map(|_| generate_secret().unwrap()).collect();
        for secret in &secrets {
            assert_eq!(secret.len(), 49);
            let body = secret.strip_prefix("whsec_").unwrap();
            assert_eq!(body.len(), 43, "32 bytes are 43 base64url characters");
            assert!(
                body.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
                "{body}"
            );
        }
        let mut unique = secrets.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), secrets.len());
    }
}
