//! The binding's logic in plain Rust, free of JavaScript types so that it is
//! unit-tested natively. The `#[wasm_bindgen]` layer in `lib.rs` only turns
//! a [`Failure`] into a JavaScript error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::{Error, Webhook};
use zeroize::Zeroize;

/// Why a call failed: a refusal by the core, or an argument the JavaScript
/// wrapper should have refused before calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The core's error, with its stable code.
    Webhook(Error),
    /// A bad argument (JavaScript sees a `TypeError`).
    Argument(&'static str),
}

impl Failure {
    /// One of the core's codes, or `"argument"`.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Webhook(error) => error.code(),
            Failure::Argument(_) => "argument",
        }
    }

    /// The message: the core's `Display`, which never contains a secret.
    pub fn message(&self) -> String {
        match self {
            Failure::Webhook(error) => error.to_string(),
            Failure::Argument(message) => (*message).to_owned(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Webhook(error)
    }
}

/// The HTTP status of each code, in `ERROR_CODES` order.
pub fn error_statuses() -> Vec<u16> {
    bullseye_webhooks::ERROR_HTTP_STATUSES.to_vec()
}

/// A size as a JavaScript number (exact up to 2^53, far beyond any body).
pub fn to_f64(size: usize) -> f64 {
    size as f64
}

/// The core's header lookup over `[key, value, key, value, ...]`.
pub fn find_header(flat: &[String], name: &str) -> Option<String> {
    let pairs = flat.chunks_exact(2).filter_map(|pair| match pair {
        [key, value] => Some((key.as_str(), value.as_str())),
        _ => None,
    });
    bullseye_webhooks::find_header(pairs, name).map(|value| value.into_owned())
}

/// Parse a visit; its typed view as JSON text.
pub fn parse_visit(body: &[u8]) -> Result<String, Failure> {
    Ok(bullseye_webhooks::parse_visit_json(body)?)
}

/// `[visitor.id, company.id]` as the core types them, from a body
/// `construct_event` accepted.
pub fn identified_ids(body: &[u8]) -> [Option<String>; 2] {
    let (visitor, company) = bullseye_webhooks::identified_ids(body);
    [visitor, company]
}

/// Milliseconds since the Unix epoch as a `SystemTime`.
fn clock(now_ms: f64) -> Result<SystemTime, Failure> {
    const OUT_OF_RANGE: Failure = Failure::Argument("now must be a time after 1970 and finite");
    let since_epoch = Duration::try_from_secs_f64(now_ms / 1000.0).map_err(|_| OUT_OF_RANGE)?;
    UNIX_EPOCH.checked_add(since_epoch).ok_or(OUT_OF_RANGE)
}

/// A `Webhook` built from what JavaScript passes.
#[derive(Debug)]
pub struct Verifier {
    webhook: Webhook,
}

impl Verifier {
    /// `secrets` holds every secret end to end, `lengths` their lengths; the
    /// buffer is wiped whatever happens.
    pub fn new(
        mut secrets: Vec<u8>,
        lengths: &[u32],
        tolerance_seconds: Option<f64>,
        max_body_bytes: Option<f64>,
    ) -> Result<Self, Failure> {
        let built = Self::build(&secrets, lengths, tolerance_seconds, max_body_bytes);
        secrets.zeroize();
        built
    }

    fn build(
        secrets: &[u8],
        lengths: &[u32],
        tolerance_seconds: Option<f64>,
        max_body_bytes: Option<f64>,
    ) -> Result<Self, Failure> {
        let mut list = Vec::with_capacity(lengths.len());
        let mut rest = secrets;
        for length in lengths {
            let length = usize::try_from(*length).unwrap_or(usize::MAX);
            let (secret, tail) = rest.split_at_checked(length).ok_or(Failure::Argument(
                "the secret lengths do not match the secret bytes",
            ))?;
            list.push(secret);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(Failure::Argument(
                "the secret lengths do not match the secret bytes",
            ));
        }
        let mut webhook = Webhook::with_secrets(list)?;
        if let Some(seconds) = tolerance_seconds {
            let tolerance = Duration::try_from_secs_f64(seconds).map_err(|_| {
                Failure::Argument("tolerance must be a non-negative number of seconds")
            })?;
            webhook = webhook.with_tolerance(tolerance);
        }
        if let Some(limit) = max_body_bytes {
            if !(limit >= 0.0 && limit.fract() == 0.0 && limit <= 9_007_199_254_740_991.0) {
                return Err(Failure::Argument(
                    "maxBodyBytes must be a non-negative integer",
                ));
            }
            // Saturates on wasm32, where no body can be that large anyway.
            webhook =
                webhook.with_max_body_bytes(usize::try_from(limit as u64).unwrap_or(usize::MAX));
        }
        Ok(Self { webhook })
    }

    /// The body size limit, in bytes.
    pub fn max_body_bytes(&self) -> f64 {
        to_f64(self.webhook.max_body_bytes())
    }

    /// The tolerance in seconds, if any.
    pub fn tolerance(&self) -> Option<f64> {
        self.webhook.tolerance().map(|t| t.as_secs_f64())
    }

    /// Check a signature.
    pub fn verify(&self, body: &[u8], signature: &str) -> Result<(), Failure> {
        Ok(self.webhook.verify(body, signature)?)
    }

    /// Run `at` with the clock `now_ms`; with a bad clock, a refusal of the
    /// delivery itself still wins over the clock's error.
    fn at_clock<T>(
        &self,
        body: &[u8],
        signature: &str,
        now_ms: f64,
        at: impl FnOnce(SystemTime) -> Result<T, Error>,
    ) -> Result<T, Failure> {
        match clock(now_ms) {
            Ok(now) => Ok(at(now)?),
            Err(bad_clock) => {
                self.webhook.verify(body, signature)?;
                Err(bad_clock)
            }
        }
    }

    /// Verify and check an event exactly as the core's construct_event
    /// would (its check_event, which builds no typed event); its type.
    pub fn construct_event(
        &self,
        body: &[u8],
        signature: &str,
        now_ms: f64,
    ) -> Result<String, Failure> {
        self.at_clock(body, signature, now_ms, |now| {
            self.webhook.check_event_at(body, signature, now)
        })
    }

    /// Check a visit's token or HMAC, then parse it; its typed view as JSON text.
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<String, Failure> {
        Ok(self.webhook.construct_visit_json(body, signature)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bullseye_webhooks::{ERROR_CODES, sign};

    const BODY: &[u8] = br#"{"event":"visitor.identified","timestamp":"2024-01-15T10:30:00Z","visitor":{"id":42,"email":"a@b.example"}}"#;
    const SIGNED_AT_MS: f64 = 1_705_314_600_000.0;

    fn two_secrets() -> Verifier {
        Verifier::new(b"whsec_newwhsec_old".to_vec(), &[9, 9], Some(300.0), None).unwrap()
    }

    #[test]
    fn statuses_follow_the_codes() {
        assert_eq!(ERROR_CODES.len(), error_statuses().len());
        assert_eq!(error_statuses(), [500, 413, 400, 400, 401, 400, 400, 401]);
    }

    #[test]
    fn secrets_are_split_by_length_and_both_accepted() {
        let verifier = two_secrets();
        for secret in ["whsec_new", "whsec_old"] {
            verifier.verify(BODY, &sign(secret, BODY)).unwrap();
        }
        let other = verifier.verify(BODY, &sign("whsec_xxx", BODY)).unwrap_err();
        assert_eq!(other.code(), "signature_mismatch");
        assert_eq!(verifier.tolerance(), Some(300.0));
        assert_eq!(verifier.max_body_bytes(), 1_048_576.0);
    }

    #[test]
    fn bad_secret_lists_are_refused() {
        for (bytes, lengths) in [(&b"abc"[..], &[4u32][..]), (b"abc", &[2]), (b"", &[])] {
            let failure = Verifier::new(bytes.to_vec(), lengths, None, None).unwrap_err();
            assert!(
                matches!(failure.code(), "argument" | "invalid_secret"),
                "{failure:?}"
            );
        }
        let empty = Verifier::new(b"abc".to_vec(), &[3, 0], None, None).unwrap_err();
        assert_eq!(empty.code(), "invalid_secret");
        assert!(!empty.message().contains("abc"));
    }

    #[test]
    fn options_are_checked() {
        for (tolerance, max) in [
            (Some(-1.0), None),
            (Some(f64::NAN), None),
            (None, Some(1.5)),
            (None, Some(-1.0)),
        ] {
            let failure = Verifier::new(b"s".to_vec(), &[1], tolerance, max).unwrap_err();
            assert_eq!(failure.code(), "argument", "{tolerance:?} {max:?}");
        }
        let small = Verifier::new(b"s".to_vec(), &[1], None, Some(4.0)).unwrap();
        assert_eq!(
            small.verify(BODY, "x").unwrap_err().code(),
            "body_too_large"
        );
    }

    #[test]
    fn events_use_the_given_clock() {
        let verifier = two_secrets();
        let signature = sign("whsec_old", BODY);
        let event_type = verifier
            .construct_event(BODY, &signature, SIGNED_AT_MS + 60_000.0)
            .unwrap();
        assert_eq!(event_type, "visitor.identified");
        let late = verifier
            .construct_event(BODY, &signature, SIGNED_AT_MS + 3_600_000.0)
            .unwrap_err();
        assert_eq!(late.code(), "timestamp_out_of_tolerance");
        for bad in [f64::NAN, f64::INFINITY, -1.0] {
            let failure = verifier.construct_event(BODY, &signature, bad).unwrap_err();
            assert_eq!(failure.code(), "argument", "{bad}");
        }
        // The delivery's own refusal wins over a bad clock.
        let tampered = verifier
            .construct_event(b"{}", &signature, f64::NAN)
            .unwrap_err();
        assert_eq!(tampered.code(), "signature_mismatch");
    }

    #[test]
    fn numeric_ids_read_as_the_core_types_them() {
        assert_eq!(identified_ids(BODY), [Some("42".to_owned()), None]);
    }

    #[test]
    fn visits_and_headers() {
        let body = br#"{"event":"NEW_VISIT","id":"v1","screen":{"width":"1920"}}"#;
        let verifier = Verifier::new(b"token".to_vec(), &[5], None, None).unwrap();
        let typed = verifier.construct_visit(body, "token").unwrap();
        assert!(typed.contains(r#""width":1920"#), "{typed}");
        assert_eq!(parse_visit(body).unwrap(), typed);
        assert_eq!(parse_visit(b"[]").unwrap_err().code(), "invalid_body");
        let flat = [
            "X-Bullseye-Signature",
            "a",
            "content-type",
            "b",
            "x-bullseye-signature",
            "c",
        ]
        .map(String::from);
        assert_eq!(
            find_header(&flat, "x-BULLSEYE-signature").as_deref(),
            Some("a, c")
        );
        assert_eq!(find_header(&flat[..3], "content-type"), None);
    }

    #[test]
    fn sizes_convert_exactly() {
        assert_eq!(to_f64(1_048_576), 1_048_576.0);
    }
}
