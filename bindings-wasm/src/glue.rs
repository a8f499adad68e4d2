//! The binding's logic in plain Rust, free of JavaScript types so that it is
//! unit-tested natively. The `#[wasm_bindgen]` layer in `lib.rs` only turns
//! a [`Failure`] into a JavaScript error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::{
    BitnobWebhook, CheckedEvent, CheckedVisit, Error, Webhook, mismatches_json,
};
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

/// `[key, value, key, value, ...]` as the (name, value) pairs the core takes.
fn pairs(flat: &[String]) -> impl Iterator<Item = (&str, &str)> {
    flat.chunks_exact(2).filter_map(|pair| match pair {
        [key, value] => Some((key.as_str(), value.as_str())),
        _ => None,
    })
}

/// The core's header lookup over `[key, value, key, value, ...]`.
pub fn find_header(flat: &[String], name: &str) -> Option<String> {
    bullseye_webhooks::find_header(pairs(flat), name).map(|value| value.into_owned())
}

/// A checked event as JavaScript takes it: `[type, delivery key]`, or
/// `[type, delivery key, mismatches]` when a documented field has another
/// type (the core's `mismatches_json`). `body` is the body it was checked
/// from (the key of an event without a session is the body's hash).
pub fn event_answer(checked: CheckedEvent, body: &[u8]) -> Vec<String> {
    let key = checked.delivery_key(body);
    if checked.mismatches.is_empty() {
        vec![checked.event_type, key]
    } else {
        let mismatches = mismatches_json(&checked.mismatches);
        vec![checked.event_type, key, mismatches]
    }
}

/// A checked visit as JavaScript takes it: `[type, mismatches, typings,
/// delivery key]`, the type `""` when the visit names none (a type is never
/// empty), the mismatches as the core's `mismatches_json` (`""` when none),
/// the typings as its `typings_json`.
pub fn visit_answer(checked: CheckedVisit, body: &[u8]) -> Vec<String> {
    let mismatches = mismatches_json(&checked.mismatches);
    let key = checked.delivery_key(body);
    vec![
        checked.event_type.unwrap_or_default(),
        mismatches,
        checked.typings_json,
        key,
    ]
}

/// Check a visit (no signature); see [`visit_answer`].
pub fn parse_visit(body: &[u8], strict: bool) -> Result<Vec<String>, Failure> {
    Ok(visit_answer(
        bullseye_webhooks::check_visit(body, strict)?,
        body,
    ))
}

/// A non-negative, finite number of seconds as a `Duration`, to the
/// nanosecond (truncated); `None` for anything else. (What
/// `Duration::try_from_secs_f64` does, in a fraction of its code size: the
/// `.wasm` has a budget.)
pub fn duration(seconds: f64) -> Option<Duration> {
    // 2^64 seconds and more do not fit; NaN is in no range.
    if !(0.0..18_446_744_073_709_551_616.0).contains(&seconds) {
        return None;
    }
    let whole = seconds.trunc();
    // In range, so the casts are exact (whole) or truncate (nanoseconds).
    let nanos = ((seconds - whole) * 1e9) as u64;
    Some(Duration::from_secs(whole as u64).saturating_add(Duration::from_nanos(nanos)))
}

/// Milliseconds since the Unix epoch as a `SystemTime`.
fn clock(now_ms: f64) -> Result<SystemTime, Failure> {
    const OUT_OF_RANGE: Failure = Failure::Argument("now must be a time after 1970 and finite");
    let since_epoch = duration(now_ms / 1000.0).ok_or(OUT_OF_RANGE)?;
    UNIX_EPOCH.checked_add(since_epoch).ok_or(OUT_OF_RANGE)
}

/// The secrets JavaScript passes end to end in `secrets`, split by `lengths`.
fn split_secrets<'a>(secrets: &'a [u8], lengths: &[u32]) -> Result<Vec<&'a [u8]>, Failure> {
    const MISMATCHED: Failure =
        Failure::Argument("the secret lengths do not match the secret bytes");
    let mut list = Vec::with_capacity(lengths.len());
    let mut rest = secrets;
    for length in lengths {
        let length = usize::try_from(*length).unwrap_or(usize::MAX);
        let (secret, tail) = rest.split_at_checked(length).ok_or(MISMATCHED)?;
        list.push(secret);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(MISMATCHED);
    }
    Ok(list)
}

/// A tolerance in seconds, checked.
fn tolerance(seconds: f64) -> Result<Duration, Failure> {
    duration(seconds).ok_or(Failure::Argument(
        "tolerance must be a non-negative number of seconds",
    ))
}

/// A body size limit given as a JavaScript number, checked.
fn body_limit(limit: f64) -> Result<usize, Failure> {
    if !(limit >= 0.0 && limit.fract() == 0.0 && limit <= 9_007_199_254_740_991.0) {
        return Err(Failure::Argument(
            "maxBodyBytes must be a non-negative integer",
        ));
    }
    // Saturates on wasm32, where no body can be that large anyway.
    Ok(usize::try_from(limit as u64).unwrap_or(usize::MAX))
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
        strict: bool,
    ) -> Result<Self, Failure> {
        let built = Self::build(&secrets, lengths, tolerance_seconds, max_body_bytes);
        secrets.zeroize();
        let mut verifier = built?;
        verifier.webhook = verifier.webhook.with_strict(strict);
        Ok(verifier)
    }

    fn build(
        secrets: &[u8],
        lengths: &[u32],
        tolerance_seconds: Option<f64>,
        max_body_bytes: Option<f64>,
    ) -> Result<Self, Failure> {
        let mut webhook = Webhook::with_secrets(split_secrets(secrets, lengths)?)?;
        if let Some(seconds) = tolerance_seconds {
            webhook = webhook.with_tolerance(tolerance(seconds)?);
        }
        if let Some(limit) = max_body_bytes {
            webhook = webhook.with_max_body_bytes(body_limit(limit)?);
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

    /// Whether a field of another type is refused.
    pub fn strict(&self) -> bool {
        self.webhook.strict()
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
    /// would (its check_event, which builds no typed event); see
    /// [`event_answer`].
    pub fn construct_event(
        &self,
        body: &[u8],
        signature: &str,
        now_ms: f64,
    ) -> Result<Vec<String>, Failure> {
        self.at_clock(body, signature, now_ms, |now| {
            self.webhook.check_event_at(body, signature, now)
        })
        .map(|checked| event_answer(checked, body))
    }

    /// The async path, with the MACs computed by Web Crypto. `length` is the
    /// body's length. With `macs` empty: the checks before any hashing
    /// (size, signature presence and shape), answering `[]`. With `macs`
    /// (the HMAC under each secret, 32 bytes each, in order): verify's
    /// compare and, with `event`, every check of constructEvent on `body`
    /// and its answer; without, `[]` (and `body` may be empty).
    pub fn check_macs(
        &self,
        body: &[u8],
        length: f64,
        signature: &str,
        macs: &[u8],
        now_ms: f64,
        event: bool,
    ) -> Result<Vec<String>, Failure> {
        let length = body_limit(length)
            .map_err(|_| Failure::Argument("the body length must be a non-negative integer"))?;
        if macs.is_empty() {
            self.webhook.precheck(length, signature)?;
            return Ok(Vec::new());
        }
        if !event {
            self.webhook.verify_macs(length, signature, macs)?;
            return Ok(Vec::new());
        }
        if length != body.len() {
            return Err(Failure::Argument("the body length does not match the body"));
        }
        let now = match clock(now_ms) {
            Ok(now) => now,
            Err(bad_clock) => {
                // A refusal of the delivery itself wins over a bad clock.
                self.webhook.verify_macs(length, signature, macs)?;
                return Err(bad_clock);
            }
        };
        let checked = self
            .webhook
            .check_event_with_macs_at(body, signature, macs, now)?;
        Ok(event_answer(checked, body))
    }

    /// Check a visit's token or HMAC, then the visit; see [`visit_answer`].
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<Vec<String>, Failure> {
        Ok(visit_answer(
            self.webhook.check_visit(body, signature)?,
            body,
        ))
    }
}

/// A `BitnobWebhook` built from what JavaScript passes.
#[derive(Debug)]
pub struct Bitnob {
    webhook: BitnobWebhook,
}

impl Bitnob {
    /// `secrets` holds every secret end to end, `lengths` their lengths; the
    /// buffer is wiped whatever happens. `tolerance_seconds`: `None` keeps
    /// the core's default window; `no_tolerance` turns the window off.
    pub fn new(
        mut secrets: Vec<u8>,
        lengths: &[u32],
        tolerance_seconds: Option<f64>,
        no_tolerance: bool,
        legacy_sha512: bool,
        max_body_bytes: Option<f64>,
    ) -> Result<Self, Failure> {
        let built = split_secrets(&secrets, lengths)
            .and_then(|list| Ok(BitnobWebhook::with_secrets(list)?));
        secrets.zeroize();
        let mut webhook = built?.with_legacy_sha512(legacy_sha512);
        if no_tolerance {
            webhook = webhook.without_tolerance();
        } else if let Some(seconds) = tolerance_seconds {
            webhook = webhook.with_tolerance(tolerance(seconds)?);
        }
        if let Some(limit) = max_body_bytes {
            webhook = webhook.with_max_body_bytes(body_limit(limit)?);
        }
        Ok(Self { webhook })
    }

    /// The body size limit, in bytes.
    pub fn max_body_bytes(&self) -> f64 {
        to_f64(self.webhook.max_body_bytes())
    }

    /// The window in seconds, if any.
    pub fn tolerance(&self) -> Option<f64> {
        self.webhook.tolerance().map(|t| t.as_secs_f64())
    }

    /// Whether the legacy HMAC-SHA512 scheme is accepted.
    pub fn legacy_sha512(&self) -> bool {
        self.webhook.legacy_sha512()
    }

    /// The indexes of the configured secrets whose last 4 characters are `last4`.
    pub fn secrets_ending_in(&self, last4: &str) -> Vec<u32> {
        self.webhook
            .secrets_ending_in(last4)
            .into_iter()
            .filter_map(|index| u32::try_from(index).ok())
            .collect()
    }

    /// Run `at` with the clock `now_ms`. Without a window the clock is never
    /// read. With a bad clock, the checks run at the epoch, and a refusal of
    /// the delivery itself (anything but the window, which that clock cannot
    /// decide) wins over the clock's error.
    fn at_clock<T>(
        &self,
        now_ms: f64,
        at: impl FnOnce(SystemTime) -> Result<T, Error>,
    ) -> Result<T, Failure> {
        match clock(now_ms) {
            Ok(now) => Ok(at(now)?),
            Err(_) if self.webhook.tolerance().is_none() => Ok(at(UNIX_EPOCH)?),
            Err(bad_clock) => match at(UNIX_EPOCH) {
                Err(error) if error != Error::TimestampOutOfTolerance => Err(error.into()),
                _ => Err(bad_clock),
            },
        }
    }

    /// Check the signature (and, for the timestamped scheme, the window)
    /// with the headers as `[name, value, name, value, ...]`.
    pub fn verify(&self, body: &[u8], headers: &[String], now_ms: f64) -> Result<(), Failure> {
        self.at_clock(now_ms, |now| {
            self.webhook.verify_at(body, pairs(headers), now)
        })
    }

    /// Verify and check the event exactly as the core's construct_event
    /// would: `[type, delivery key]` (see [`event_answer`]).
    pub fn construct_event(
        &self,
        body: &[u8],
        headers: &[String],
        now_ms: f64,
    ) -> Result<Vec<String>, Failure> {
        self.at_clock(now_ms, |now| {
            self.webhook.check_event_at(body, pairs(headers), now)
        })
        .map(|checked| event_answer(checked, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bullseye_webhooks::{ERROR_CODES, sign};

    const BODY: &[u8] = br#"{"event":"visitor.identified","timestamp":"2024-01-15T10:30:00Z","visitor":{"id":42,"email":"a@b.example"}}"#;
    const SIGNED_AT_MS: f64 = 1_705_314_600_000.0;

    fn two_secrets() -> Verifier {
        Verifier::new(
            b"whsec_newwhsec_old".to_vec(),
            &[9, 9],
            Some(300.0),
            None,
            false,
        )
        .unwrap()
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
            let failure = Verifier::new(bytes.to_vec(), lengths, None, None, false).unwrap_err();
            assert!(
                matches!(failure.code(), "argument" | "invalid_secret"),
                "{failure:?}"
            );
        }
        let empty = Verifier::new(b"abc".to_vec(), &[3, 0], None, None, false).unwrap_err();
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
            let failure = Verifier::new(b"s".to_vec(), &[1], tolerance, max, false).unwrap_err();
            assert_eq!(failure.code(), "argument", "{tolerance:?} {max:?}");
        }
        let small = Verifier::new(b"s".to_vec(), &[1], None, Some(4.0), false).unwrap();
        assert_eq!(
            small.verify(BODY, "x").unwrap_err().code(),
            "body_too_large"
        );
    }

    #[test]
    fn events_use_the_given_clock() {
        let verifier = two_secrets();
        let signature = sign("whsec_old", BODY);
        let answer = verifier
            .construct_event(BODY, &signature, SIGNED_AT_MS + 60_000.0)
            .unwrap();
        assert_eq!(
            answer,
            [
                "visitor.identified",
                // No session_id: the key is the body's SHA-256 (Python's hashlib).
                "sha256:66d57c37e2fd8595b5576e7db27715510715c3a50c8567a170fab59b43614943",
                r#"[["visitor.id","string","integer","42"]]"#
            ]
        );
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
    fn strict_refuses_a_mismatch_and_lenient_lists_it() {
        let body = br#"{"event":"visitor.identified","company":{"size":"150"}}"#;
        let signature = sign("s", body);
        let lenient = Verifier::new(b"s".to_vec(), &[1], None, None, false).unwrap();
        assert!(!lenient.strict());
        assert_eq!(
            lenient.construct_event(body, &signature, 0.0).unwrap(),
            [
                "visitor.identified",
                "sha256:fc08e2f6d371f52b07a15a8b3b95f23e19fc7435be040cb81c287450c66b256a",
                r#"[["company.size","integer","string",150]]"#
            ]
        );
        let documented = br#"{"event":"visitor.identified","company":{"size":150}}"#;
        assert_eq!(
            lenient
                .construct_event(documented, &sign("s", documented), 0.0)
                .unwrap(),
            [
                "visitor.identified",
                "sha256:94b4171c1bee47ee679324399b13d733fae2712dfe7b63ef4f7bf095819f55b0"
            ]
        );
        let strict = Verifier::new(b"s".to_vec(), &[1], None, None, true).unwrap();
        assert!(strict.strict());
        let refused = strict.construct_event(body, &signature, 0.0).unwrap_err();
        assert_eq!(refused.code(), "invalid_payload");
        assert_eq!(
            refused.message(),
            "invalid_payload: `company.size` must be an integer, but it is a string"
        );
    }

    #[test]
    fn visits_and_headers() {
        let body = br#"{"event":"NEW_VISIT","id":"v1","screen":{"width":"1920"}}"#;
        let verifier = Verifier::new(b"token".to_vec(), &[5], None, None, false).unwrap();
        let answer = verifier.construct_visit(body, "token").unwrap();
        assert_eq!(
            answer,
            [
                "NEW_VISIT",
                "",
                r#"[[["screen","width"],1920,"1920"]]"#,
                "visit:v1"
            ]
        );
        assert_eq!(parse_visit(body, false).unwrap(), answer);
        assert_eq!(
            parse_visit(b"[]", false).unwrap_err().code(),
            "invalid_body"
        );
        let drifted = br#"{"id":7}"#;
        assert_eq!(
            parse_visit(drifted, false).unwrap(),
            ["", r#"[["id","string","integer","7"]]"#, "[]", "visit:7"]
        );
        assert_eq!(
            parse_visit(drifted, true).unwrap_err().code(),
            "invalid_payload"
        );
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
    fn seconds_convert_as_try_from_secs_f64_does() {
        for seconds in [0.0, 0.5, 1.0, 300.0, 1.25, 1_705_314_660.123, 1e15, 1.8e19] {
            let ours = duration(seconds).unwrap();
            let std = Duration::try_from_secs_f64(seconds).unwrap();
            let gap = ours.abs_diff(std);
            assert!(
                gap <= Duration::from_micros(1),
                "{seconds}: {ours:?} vs {std:?}"
            );
        }
        for bad in [
            -1.0,
            -0.001,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.9e19,
        ] {
            assert_eq!(duration(bad), None, "{bad}");
            assert!(Duration::try_from_secs_f64(bad).is_err(), "{bad}");
        }
    }

    // Signatures and hashes from Python's hmac and hashlib, not from the core.
    const BITNOB_SECRET: &[u8] = b"bitnob_test_secret_4f2a";
    const BITNOB_BODY: &[u8] = br#"{"event":"virtualcard.transaction.debit","data":{"id":"tx_1"}}"#;
    const BITNOB_SHA256: &str = "475a5063610e622de1ab853c3061396ba1c2f2ce65802f927215aa83e5177bc0";
    const BITNOB_SHA512: &str = "0cc0c7790cc215ba1b53b7d738b333e1ef4226aeb43396ca1310529e776ccade7f7f21093b0a6acae6ba538e123bfb98179963502b1cdcc40af316ce998a2c67";
    const BITNOB_KEY: &str =
        "sha256:8cf778fe35ec701861f845701aec846cd029e2c6b96226d8da4b7fb30d661c25";
    const SENT_AT_MS: f64 = 1_700_000_000_000.0;

    fn bitnob_headers(signature: &str, timestamp: &str) -> Vec<String> {
        [
            "Content-Type",
            "application/json",
            "x-bitnob-signature",
            signature,
            "X-BITNOB-TIMESTAMP",
            timestamp,
        ]
        .map(String::from)
        .to_vec()
    }

    fn bitnob(tolerance: Option<f64>, no_tolerance: bool, legacy: bool) -> Bitnob {
        Bitnob::new(
            BITNOB_SECRET.to_vec(),
            &[23],
            tolerance,
            no_tolerance,
            legacy,
            None,
        )
        .unwrap()
    }

    #[test]
    fn bitnob_defaults_and_options() {
        let default = bitnob(None, false, true);
        assert_eq!(default.tolerance(), Some(300.0));
        assert!(default.legacy_sha512());
        assert_eq!(default.max_body_bytes(), 1_048_576.0);
        assert_eq!(bitnob(None, true, false).tolerance(), None);
        assert!(!bitnob(None, true, false).legacy_sha512());
        assert_eq!(bitnob(Some(60.0), false, true).tolerance(), Some(60.0));
        let refused = Bitnob::new(b"s".to_vec(), &[1], Some(-1.0), false, true, None);
        assert_eq!(refused.unwrap_err().code(), "argument");
        let empty = Bitnob::new(Vec::new(), &[0], None, false, true, None);
        assert_eq!(empty.unwrap_err().code(), "invalid_secret");
        let small = Bitnob::new(b"s".to_vec(), &[1], None, false, true, Some(4.0)).unwrap();
        let headers = bitnob_headers(BITNOB_SHA256, "1700000000");
        let too_large = small.verify(BITNOB_BODY, &headers, SENT_AT_MS).unwrap_err();
        assert_eq!(too_large.code(), "body_too_large");
    }

    #[test]
    fn bitnob_both_schemes_and_the_window() {
        let verifier = bitnob(None, false, true);
        let timestamped = bitnob_headers(BITNOB_SHA256, "1700000000");
        verifier
            .verify(BITNOB_BODY, &timestamped, SENT_AT_MS + 300_000.0)
            .unwrap();
        let late = verifier
            .verify(BITNOB_BODY, &timestamped, SENT_AT_MS + 301_000.0)
            .unwrap_err();
        assert_eq!(late.code(), "timestamp_out_of_tolerance");
        assert_eq!(
            verifier
                .construct_event(BITNOB_BODY, &timestamped, SENT_AT_MS)
                .unwrap(),
            ["virtualcard.transaction.debit", BITNOB_KEY]
        );
        // The legacy scheme signs no timestamp: no window applies.
        let legacy = bitnob_headers(BITNOB_SHA512, "");
        verifier.verify(BITNOB_BODY, &legacy, 0.0).unwrap();
        let off = bitnob(None, false, false)
            .verify(BITNOB_BODY, &legacy, 0.0)
            .unwrap_err();
        assert_eq!(off.code(), "malformed_signature");
        assert!(off.message().contains("SHA-512"), "{}", off.message());
        let tampered = bitnob_headers(BITNOB_SHA256, "1700000001");
        let mismatch = verifier
            .verify(BITNOB_BODY, &tampered, SENT_AT_MS)
            .unwrap_err();
        assert_eq!(mismatch.code(), "signature_mismatch");
    }

    #[test]
    fn bitnob_bad_clock_loses_to_the_delivery_s_own_refusal() {
        let verifier = bitnob(None, false, true);
        let good = bitnob_headers(BITNOB_SHA256, "1700000000");
        let bad_clock = verifier.verify(BITNOB_BODY, &good, -1.0).unwrap_err();
        assert_eq!(bad_clock.code(), "argument");
        let tampered = bitnob_headers(BITNOB_SHA256, "1700000001");
        let refused = verifier.verify(BITNOB_BODY, &tampered, -1.0).unwrap_err();
        assert_eq!(refused.code(), "signature_mismatch");
        // Without a window the clock is never read.
        bitnob(None, true, true)
            .verify(BITNOB_BODY, &good, f64::NAN)
            .unwrap();
    }

    #[test]
    fn bitnob_secrets_ending_in() {
        let verifier = Bitnob::new(
            b"bitnob_test_secret_4f2aother_4f2axyz".to_vec(),
            &[23, 10, 3],
            None,
            false,
            true,
            None,
        )
        .unwrap();
        assert_eq!(verifier.secrets_ending_in("4f2a"), [0, 1]);
        assert_eq!(verifier.secrets_ending_in("xyz"), [2]);
        assert!(verifier.secrets_ending_in("nope").is_empty());
        assert!(!format!("{verifier:?}").contains("bitnob_test"));
    }

    #[test]
    fn macs_give_the_answers_of_the_sync_path() {
        // The MACs as Web Crypto gives them: bytes (here the sign()s decoded;
        // the answers to match are the sync path's).
        let mac = |secret: &str| {
            let hex = sign(secret, BODY);
            (0..32)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let verifier = two_secrets();
        let macs = [mac("whsec_new"), mac("whsec_old")].concat();
        let length = BODY.len() as f64;
        let good = sign("whsec_old", BODY);
        for (signature, now) in [
            (good.as_str(), SIGNED_AT_MS + 60_000.0),
            (good.as_str(), SIGNED_AT_MS + 3_600_000.0),
            (good.as_str(), f64::NAN),
            ("", SIGNED_AT_MS),
            ("12", SIGNED_AT_MS),
            (&sign("whsec_xxx", BODY), SIGNED_AT_MS),
        ] {
            let sync = verifier.construct_event(BODY, signature, now);
            let with_macs = verifier.check_macs(BODY, length, signature, &macs, now, true);
            assert_eq!(with_macs, sync, "{signature:?} at {now}");
            let verified = verifier.check_macs(&[], length, signature, &macs, 0.0, false);
            assert_eq!(
                verified.map(|_| ()),
                verifier.verify(BODY, signature),
                "{signature:?}"
            );
        }
        let precheck = verifier.check_macs(&[], 2e6, &good, &[], 0.0, false);
        assert_eq!(precheck.unwrap_err().code(), "body_too_large");
        assert_eq!(
            verifier
                .check_macs(&[], length, "", &[], 0.0, false)
                .unwrap_err()
                .code(),
            "missing_signature"
        );
        assert_eq!(
            verifier
                .check_macs(&[], length, &good, &[], 0.0, false)
                .unwrap(),
            Vec::<String>::new()
        );
        let short = verifier.check_macs(&BODY[1..], length, &good, &macs, 0.0, true);
        assert_eq!(short.unwrap_err().code(), "argument");
    }

    #[test]
    fn sizes_convert_exactly() {
        assert_eq!(to_f64(1_048_576), 1_048_576.0);
    }
}
