//! The glue's conversions and answers, natively (the bindings only wrap them).

use std::time::Duration;

use bullseye_webhooks::sign;

use super::*;

const BODY: &[u8] = br#"{"event":"visitor.identified","timestamp":"2024-01-15T10:30:00Z","visitor":{"id":42,"email":"a@b.example"}}"#;
const SIGNED_AT_MS: f64 = 1_705_314_600_000.0;

fn webhook(
    secrets: &[u8],
    lengths: &[u32],
    tolerance: Option<f64>,
    max: Option<f64>,
    strict: bool,
) -> Result<Verifier, Failure> {
    let options = WebhookOptions {
        tolerance,
        max_body_bytes: max,
        strict,
    };
    Verifier::new(&mut secrets.to_vec(), lengths, &options)
}

fn two_secrets() -> Verifier {
    webhook(b"whsec_newwhsec_old", &[9, 9], Some(300.0), None, false).unwrap()
}

/// An answer's JSON text, as JavaScript parses it.
fn json(answer: Result<Answer, Failure>) -> String {
    answer.unwrap().to_json()
}

#[test]
fn the_secrets_are_wiped() {
    let mut secrets = b"whsec_newwhsec_old".to_vec();
    Verifier::new(&mut secrets, &[9, 9], &WebhookOptions::default()).unwrap();
    assert_eq!(secrets, [0; 18]);
    let mut refused = b"abc".to_vec();
    Bitnob::new(&mut refused, &[4], &BitnobOptions::default()).unwrap_err();
    assert_eq!(refused, [0; 3]);
}

#[test]
fn secrets_are_split_by_length_and_both_accepted() {
    let verifier = two_secrets();
    for secret in ["whsec_new", "whsec_old"] {
        verifier.verify(BODY, &sign(secret, BODY)).unwrap();
    }
    let other = verifier.verify(BODY, &sign("whsec_xxx", BODY)).unwrap_err();
    assert_eq!(other.code(), "signature_mismatch");
    assert_eq!(
        verifier.settings_json(),
        r#"{"maxBodyBytes":1048576,"tolerance":300,"toleranceNanos":0,"strict":false}"#
    );
}

#[test]
fn bad_secret_lists_are_refused() {
    for (bytes, lengths) in [(&b"abc"[..], &[4u32][..]), (b"abc", &[2]), (b"", &[])] {
        let failure = webhook(bytes, lengths, None, None, false).unwrap_err();
        assert!(
            matches!(failure.code(), "argument" | "invalid_secret"),
            "{failure:?}"
        );
    }
    let empty = webhook(b"abc", &[3, 0], None, None, false).unwrap_err();
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
        let failure = webhook(b"s", &[1], tolerance, max, false).unwrap_err();
        assert_eq!(failure.code(), "argument", "{tolerance:?} {max:?}");
    }
    let small = webhook(b"s", &[1], None, Some(4.0), false).unwrap();
    assert_eq!(
        small.verify(BODY, "x").unwrap_err().code(),
        "body_too_large"
    );
}

#[test]
fn events_use_the_given_clock() {
    let verifier = two_secrets();
    let signature = sign("whsec_old", BODY);
    let answer = verifier.construct_event(BODY, &signature, SIGNED_AT_MS + 60_000.0);
    assert_eq!(
        json(answer),
        // No session_id: the key is the body's SHA-256 (Python's hashlib).
        concat!(
            r#"{"deliveryKey":"sha256:66d57c37e2fd8595b5576e7db27715510715c3a50c8567a170fab59b43614943","#,
            r#""eventType":"visitor.identified","#,
            r#""mismatches":[["visitor.id","string","integer","42"]]}"#
        )
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
    let lenient = webhook(b"s", &[1], None, None, false).unwrap();
    assert!(lenient.settings_json().ends_with(r#""strict":false}"#));
    assert_eq!(
        json(lenient.construct_event(body, &signature, 0.0)),
        concat!(
            r#"{"deliveryKey":"sha256:fc08e2f6d371f52b07a15a8b3b95f23e19fc7435be040cb81c287450c66b256a","#,
            r#""eventType":"visitor.identified","#,
            r#""mismatches":[["company.size","integer","string",150]]}"#
        )
    );
    let documented = br#"{"event":"visitor.identified","company":{"size":150}}"#;
    assert_eq!(
        json(lenient.construct_event(documented, &sign("s", documented), 0.0)),
        concat!(
            r#"{"deliveryKey":"sha256:94b4171c1bee47ee679324399b13d733fae2712dfe7b63ef4f7bf095819f55b0","#,
            r#""eventType":"visitor.identified"}"#
        )
    );
    let strict = webhook(b"s", &[1], None, None, true).unwrap();
    assert!(strict.settings_json().ends_with(r#""strict":true}"#));
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
    let verifier = webhook(b"token", &[5], None, None, false).unwrap();
    let answer = json(verifier.construct_visit(body, "token"));
    assert_eq!(
        answer,
        concat!(
            r#"{"deliveryKey":"visit:v1","eventType":"NEW_VISIT","#,
            r#""typings":[[["screen","width"],1920,"1920"]]}"#
        )
    );
    assert_eq!(json(parse_visit(body, false)), answer);
    assert_eq!(
        parse_visit(b"[]", false).unwrap_err().code(),
        "invalid_body"
    );
    let drifted = b"{\"id\":7}\n ";
    assert_eq!(
        json(parse_visit(drifted, false)),
        concat!(
            r#"{"deliveryKey":"visit:7","eventType":null,"#,
            r#""mismatches":[["id","string","integer","7"]]}"#
        )
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

/// A Bitnob verifier; `tolerance` `None` is no window (JavaScript passes
/// its default window, 300 s, itself).
fn bitnob(tolerance: Option<f64>, legacy: bool) -> Bitnob {
    let options = BitnobOptions {
        tolerance,
        legacy_sha512: legacy,
        max_body_bytes: None,
    };
    Bitnob::new(&mut BITNOB_SECRET.to_vec(), &[23], &options).unwrap()
}

impl Bitnob {
    fn verify(&self, body: &[u8], headers: &[String], now_ms: f64) -> Result<(), Failure> {
        self.check(body, headers, now_ms, false).map(|none| {
            assert_eq!(none, None);
        })
    }
}

#[test]
fn bitnob_defaults_and_options() {
    let default = bitnob(Some(300.0), true);
    assert_eq!(
        default.settings_json(),
        r#"{"maxBodyBytes":1048576,"tolerance":300,"toleranceNanos":0,"legacySha512":true}"#
    );
    assert_eq!(
        bitnob(None, false).settings_json(),
        r#"{"maxBodyBytes":1048576,"tolerance":null,"legacySha512":false}"#
    );
    assert_eq!(
        bitnob(Some(0.25), true).settings_json(),
        r#"{"maxBodyBytes":1048576,"tolerance":0,"toleranceNanos":250000000,"legacySha512":true}"#
    );
    let options = |tolerance, max_body_bytes| BitnobOptions {
        tolerance,
        legacy_sha512: true,
        max_body_bytes,
    };
    let refused = Bitnob::new(&mut b"s".to_vec(), &[1], &options(Some(-1.0), None));
    assert_eq!(refused.unwrap_err().code(), "argument");
    let empty = Bitnob::new(&mut Vec::new(), &[0], &options(None, None));
    assert_eq!(empty.unwrap_err().code(), "invalid_secret");
    let small = Bitnob::new(&mut b"s".to_vec(), &[1], &options(None, Some(4.0))).unwrap();
    let headers = bitnob_headers(BITNOB_SHA256, "1700000000");
    let too_large = small.verify(BITNOB_BODY, &headers, SENT_AT_MS).unwrap_err();
    assert_eq!(too_large.code(), "body_too_large");
}

#[test]
fn bitnob_both_schemes_and_the_window() {
    let verifier = bitnob(Some(300.0), true);
    let timestamped = bitnob_headers(BITNOB_SHA256, "1700000000");
    verifier
        .verify(BITNOB_BODY, &timestamped, SENT_AT_MS + 300_000.0)
        .unwrap();
    let late = verifier
        .verify(BITNOB_BODY, &timestamped, SENT_AT_MS + 301_000.0)
        .unwrap_err();
    assert_eq!(late.code(), "timestamp_out_of_tolerance");
    let answer = verifier.check(BITNOB_BODY, &timestamped, SENT_AT_MS, true);
    assert_eq!(
        answer.unwrap().map(|answer| answer.to_json()).as_deref(),
        Some(concat!(
            r#"{"deliveryKey":"sha256:8cf778fe35ec701861f845701aec846cd029e2c6b96226d8da4b7fb30d661c25","#,
            r#""eventType":"virtualcard.transaction.debit"}"#
        ))
    );
    // The legacy scheme signs no timestamp: no window applies.
    let legacy = bitnob_headers(BITNOB_SHA512, "");
    verifier.verify(BITNOB_BODY, &legacy, 0.0).unwrap();
    let off = bitnob(Some(300.0), false)
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
    let verifier = bitnob(Some(300.0), true);
    let good = bitnob_headers(BITNOB_SHA256, "1700000000");
    let bad_clock = verifier.verify(BITNOB_BODY, &good, -1.0).unwrap_err();
    assert_eq!(bad_clock.code(), "argument");
    let tampered = bitnob_headers(BITNOB_SHA256, "1700000001");
    let refused = verifier.verify(BITNOB_BODY, &tampered, -1.0).unwrap_err();
    assert_eq!(refused.code(), "signature_mismatch");
    // Without a window the clock is never read.
    bitnob(None, true)
        .verify(BITNOB_BODY, &good, f64::NAN)
        .unwrap();
}

#[test]
fn bitnob_secrets_ending_in() {
    let mut secrets = b"bitnob_test_secret_4f2aother_4f2axyz".to_vec();
    let verifier = Bitnob::new(&mut secrets, &[23, 10, 3], &BitnobOptions::default()).unwrap();
    assert_eq!(verifier.secrets_ending_in("4f2a"), [0, 1]);
    assert_eq!(verifier.secrets_ending_in("xyz"), [2]);
    assert!(verifier.secrets_ending_in("nope").is_empty());
    assert!(!format!("{verifier:?}").contains("bitnob_test"));
}

/// A MAC as Web Crypto gives it: bytes (here sign()'s hex decoded; the
/// answers to match are the sync path's).
fn mac(secret: &str) -> Vec<u8> {
    let hex = sign(secret, BODY);
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn macs_give_the_answers_of_the_sync_path() {
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
        let with_macs = verifier.check_macs(BODY, length, signature, &mut macs.clone(), now, true);
        assert_eq!(with_macs, sync.map(Some), "{signature:?} at {now}");
        let verified = verifier.check_macs(&[], length, signature, &mut macs.clone(), 0.0, false);
        assert_eq!(
            verified.map(|_| ()),
            verifier.verify(BODY, signature),
            "{signature:?}"
        );
    }
    let precheck = verifier.check_macs(&[], 2e6, &good, &mut [], 0.0, false);
    assert_eq!(precheck.unwrap_err().code(), "body_too_large");
    assert_eq!(
        verifier
            .check_macs(&[], length, "", &mut [], 0.0, false)
            .unwrap_err()
            .code(),
        "missing_signature"
    );
    assert_eq!(
        verifier
            .check_macs(&[], length, &good, &mut [], 0.0, false)
            .unwrap(),
        None
    );
    let short = verifier.check_macs(&BODY[1..], length, &good, &mut macs.clone(), 0.0, true);
    assert_eq!(short.unwrap_err().code(), "argument");
}

/// The MACs handed to check_macs are wiped after it, accepted or refused:
/// a MAC the signature did not match signs this body under a secret.
#[test]
fn check_macs_wipes_the_macs() {
    let verifier = two_secrets();
    let length = BODY.len() as f64;
    let macs = [mac("whsec_new"), mac("whsec_old")].concat();
    for (signature, event) in [
        (sign("whsec_old", BODY), true),
        (sign("whsec_old", BODY), false),
        (sign("whsec_xxx", BODY), true),
        (sign("whsec_xxx", BODY), false),
        ("12".to_owned(), true),
    ] {
        let mut given = macs.clone();
        let body = if event { BODY } else { &[] };
        let answer = verifier.check_macs(body, length, &signature, &mut given, SIGNED_AT_MS, event);
        assert_eq!(
            answer.is_ok(),
            signature == sign("whsec_old", BODY),
            "{signature:?}"
        );
        assert_eq!(given, vec![0; 64], "{signature:?}, event {event}");
    }
}

#[test]
fn sizes_convert_exactly() {
    assert_eq!(to_f64(1_048_576), 1_048_576.0);
    let small = webhook(b"s", &[1], None, Some(9_007_199_254_740_991.0), false).unwrap();
    assert!(
        small
            .settings_json()
            .contains(r#""maxBodyBytes":9007199254740991,"#)
    );
}

#[test]
fn bitnob_macs_give_the_answers_of_the_sync_path() {
    // The MACs as Web Crypto's path passes them: the signature's bytes once
    // it verified (Python's MACs under the one secret), else MACs that
    // cannot match.
    let hex = |hex: &str| {
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let length = BITNOB_BODY.len() as f64;
    for verifier in [bitnob(Some(300.0), true), bitnob(None, false)] {
        for (headers, macs, now) in [
            (
                bitnob_headers(BITNOB_SHA256, "1700000000"),
                hex(BITNOB_SHA256),
                SENT_AT_MS,
            ),
            (
                bitnob_headers(BITNOB_SHA256, "1700000000"),
                hex(BITNOB_SHA256),
                SENT_AT_MS + 301_000.0,
            ),
            (
                bitnob_headers(BITNOB_SHA256, "1700000000"),
                hex(BITNOB_SHA256),
                f64::NAN,
            ),
            (
                bitnob_headers(BITNOB_SHA256, "1700000001"),
                vec![0],
                SENT_AT_MS,
            ),
            (bitnob_headers(BITNOB_SHA256, "1700000001"), vec![0], -1.0),
            (bitnob_headers(BITNOB_SHA512, ""), hex(BITNOB_SHA512), 0.0),
            (bitnob_headers("", "1700000000"), vec![0], SENT_AT_MS),
        ] {
            let how = format!("{headers:?} at {now}");
            for event in [false, true] {
                let sync = verifier.check(BITNOB_BODY, &headers, now, event);
                let body = if event { BITNOB_BODY } else { &[] };
                let with_macs = verifier.check_macs(body, length, &headers, &macs, now, event);
                assert_eq!(with_macs, sync, "{how}, event {event}");
            }
        }
    }
    let verifier = bitnob(Some(300.0), true);
    let timestamped = bitnob_headers(BITNOB_SHA256, " 1700000000");
    let expected = [&[32], &hex(BITNOB_SHA256)[..], b" 1700000000."].concat();
    assert_eq!(verifier.precheck(length, &timestamped), Ok(expected));
    let legacy = bitnob_headers(BITNOB_SHA512, "1700000000");
    let expected = [&[64], &hex(BITNOB_SHA512)[..]].concat();
    assert_eq!(verifier.precheck(length, &legacy), Ok(expected));
    let code = |result: Result<Vec<u8>, Failure>| result.unwrap_err().code();
    assert_eq!(code(verifier.precheck(2e6, &timestamped)), "body_too_large");
    assert_eq!(
        code(verifier.precheck::<&str>(length, &[])),
        "missing_signature"
    );
    assert_eq!(
        code(bitnob(None, false).precheck(length, &legacy)),
        "malformed_signature"
    );
    assert_eq!(code(verifier.precheck(-1.0, &legacy)), "argument");
    let short = verifier.check_macs(
        &BITNOB_BODY[1..],
        length,
        &legacy,
        &hex(BITNOB_SHA512),
        0.0,
        true,
    );
    assert_eq!(short.unwrap_err().code(), "argument");
}

#[test]
fn joined_strings_split_as_javascript_counts_them() {
    // "é" is 1 UTF-16 unit (2 UTF-8 bytes), "😀" 2 (4); "\u{fffd}" is what a
    // lone surrogate becomes on the way in, 1 unit as it was.
    let text = "x-a\0é😀\0\0\u{fffd}\0";
    assert_eq!(
        split_joined(text, &[3, 3, 0, 1]),
        Ok(vec!["x-a", "é😀", "", "\u{fffd}"])
    );
    assert_eq!(split_joined("", &[]), Ok(vec![]));
    for (text, lengths) in [
        (text, &[3, 3, 0][..]), // text left over
        (text, &[3, 2, 0, 1]),  // the length ends inside a surrogate pair
        (text, &[3, 3, 0, 2]),  // past the end
        ("ab\0", &[1]),         // no separator where the string ends
        ("ab", &[2]),           // no separator at all
    ] {
        assert_eq!(
            split_joined(text, lengths).unwrap_err().code(),
            "argument",
            "{lengths:?}"
        );
    }
}
