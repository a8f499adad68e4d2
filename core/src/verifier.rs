//! What every verifier shares: its secrets, each made into its key, never
//! shown; its constructors; and the default body size limit.

use std::fmt;

use subtle::{Choice, ConstantTimeEq};

use crate::error::Error;

/// The largest body accepted unless a verifier's `with_max_body_bytes` says
/// otherwise: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A verifier's configured secrets, each made into its key (HMAC's keyed
/// states, wiped on drop): at least one, and none empty. `Debug` shows only
/// how many there are.
#[derive(Clone)]
pub(crate) struct Secrets<K>(Vec<K>);

impl<K> Secrets<K> {
    /// Each secret made into its key by `key`; `invalid_secret` when there
    /// is none or one is empty, whatever the sender's scheme.
    pub(crate) fn new<S: AsRef<[u8]>>(
        secrets: impl IntoIterator<Item = S>,
        key: impl Fn(&[u8]) -> Result<K, Error>,
    ) -> Result<Self, Error> {
        let keys = secrets
            .into_iter()
            .map(|secret| match secret.as_ref() {
                [] => Err(Error::InvalidSecret),
                secret => key(secret),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(Error::InvalidSecret);
        }
        Ok(Self(keys))
    }

    /// How many secrets there are.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The keys, in configuration order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, K> {
        self.0.iter()
    }
}

impl<K> fmt::Debug for Secrets<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[REDACTED; {}]", self.0.len())
    }
}

/// Whether any of `macs` (computed outside the core: the MAC under each of
/// `count` secrets, end to end) is `signature`: each compared in constant
/// time, none skipped. MACs of another length than `count` of the
/// signature's never match.
pub(crate) fn any_mac_matches(signature: &[u8], macs: &[u8], count: usize) -> Choice {
    let mut matched = Choice::from(0);
    if !signature.is_empty() && macs.len() == signature.len() * count {
        for tag in macs.chunks_exact(signature.len()) {
            matched |= tag.ct_eq(signature);
        }
    }
    matched
}

/// A verifier's `new` and `with_secrets`, in an `impl` of a type with a
/// `from_secrets(Secrets<$key>) -> Self` that sets its defaults. `$how`
/// says how the secret is used as the HMAC key.
macro_rules! secret_constructors {
    ($key:ty, $how:literal) => {
        #[doc = concat!("A verifier for one secret, used as the HMAC key ", $how, ".")]
        ///
        /// Fails with `invalid_secret` when the secret is empty.
        pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, $crate::Error> {
            Self::with_secrets([secret])
        }

        /// A verifier that accepts a delivery signed by any of `secrets`
        /// (rotation).
        ///
        /// Fails with `invalid_secret` when the list is empty or any secret
        /// is empty.
        pub fn with_secrets<S: AsRef<[u8]>>(
            secrets: impl IntoIterator<Item = S>,
        ) -> Result<Self, $crate::Error> {
            $crate::verifier::Secrets::new(secrets, <$key>::new).map(Self::from_secrets)
        }
    };
}
pub(crate) use secret_constructors;
