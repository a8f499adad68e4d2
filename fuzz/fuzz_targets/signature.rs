//! Signature-header handling: any header string, any body, any options, for
//! Bullseye's scheme and Bitnob's (timestamped HMAC-SHA256 and the legacy
//! HMAC-SHA512). Verification must return one of the contract's codes, never
//! panic, and accept exactly the signatures `sign`/`sign_bitnob`/
//! `sign_bitnob_legacy` produce (in either case, trimmed), within the window.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use bullseye_webhooks::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobWebhook,
    ERROR_CODES, Error, Webhook, find_header, sign, sign_bitnob, sign_bitnob_legacy,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    secrets: Vec<&'a [u8]>,
    body: &'a [u8],
    header: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    max_body_bytes: u16,
    sign_it: bool,
    upper: bool,
    bitnob: Bitnob<'a>,
}

/// The Bitnob half: how the delivery is signed, its other headers, and the
/// verifier's options.
#[derive(Arbitrary, Debug)]
struct Bitnob<'a> {
    /// 0: the header as given; 1: timestamped SHA-256; 2: legacy SHA-512.
    how: u8,
    /// The X-Bitnob-Timestamp sent (and signed, for `how == 1`), or a
    /// number to write as one.
    timestamp: Option<&'a str>,
    seconds: u32,
    event: Option<&'a str>,
    now: u32,
    tolerance: Option<u16>,
    legacy_off: bool,
    pad: bool,
}

fuzz_target!(|input: Input<'_>| {
    bitnob(&input);
    let Ok(webhook) = Webhook::with_secrets(&input.secrets) else {
        assert!(input.secrets.is_empty() || input.secrets.iter().any(|s| s.is_empty()));
        return;
    };
    let webhook = webhook.with_max_body_bytes(usize::from(input.max_body_bytes));
    let signature = match (input.sign_it, input.secrets.first()) {
        (true, Some(secret)) => {
            let s = sign(secret, input.body);
            if input.upper { s.to_uppercase() } else { s }
        }
        _ => input.header.to_owned(),
    };
    let result = webhook.verify(input.body, &signature);
    if let Err(error) = &result {
        assert!(ERROR_CODES.contains(&error.code()));
    }
    if input.sign_it && !input.secrets.is_empty() && input.body.len() <= usize::from(input.max_body_bytes) {
        assert!(result.is_ok(), "a correct signature was refused: {result:?}");
    }
    let found = find_header(input.headers.iter().copied(), "X-Bullseye-Signature");
    let _ = webhook.verify(input.body, found.as_deref().unwrap_or(""));
    let _ = webhook.verify_visit_signature(input.body, input.header);
});

fn bitnob(input: &Input<'_>) {
    let b = &input.bitnob;
    let Ok(verifier) = BitnobWebhook::with_secrets(&input.secrets) else {
        assert!(input.secrets.is_empty() || input.secrets.iter().any(|s| s.is_empty()));
        return;
    };
    let verifier = match b.tolerance {
        Some(seconds) => verifier.with_tolerance(Duration::from_secs(u64::from(seconds))),
        None => verifier.without_tolerance(),
    }
    .with_legacy_sha512(!b.legacy_off)
    .with_max_body_bytes(usize::from(input.max_body_bytes));
    let written = b.seconds.to_string();
    let timestamp = b.timestamp.unwrap_or(&written);
    let secret = input.secrets.first().copied().unwrap_or_default();
    let mut signature = match b.how % 3 {
        1 => sign_bitnob(secret, timestamp, input.body),
        2 => sign_bitnob_legacy(secret, input.body),
        _ => input.header.to_owned(),
    };
    if input.upper {
        signature = signature.to_uppercase();
    }
    if b.pad {
        signature = format!(" {signature}\t");
    }
    // The fuzzed headers first (any names, any values), then Bitnob's.
    let mut headers: Vec<(&str, &str)> = input.headers.clone();
    headers.push((BITNOB_SIGNATURE_HEADER, &signature));
    headers.push((BITNOB_TIMESTAMP_HEADER, timestamp));
    if let Some(event) = b.event {
        headers.push((BITNOB_EVENT_HEADER, event));
    }
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(b.now));
    let verified = verifier.verify_at(input.body, headers.iter().copied(), now);
    let event = verifier.construct_event_at(input.body, headers.iter().copied(), now);
    let checked = verifier.check_event_at(input.body, headers.iter().copied(), now);
    for error in [verified.as_ref().err(), event.as_ref().err(), checked.as_ref().err()]
        .into_iter()
        .flatten()
    {
        assert!(ERROR_CODES.contains(&error.code()));
    }
    // check_event is construct_event without building the event.
    match (&event, &checked) {
        (Ok(e), Ok(c)) => assert_eq!(e.event_type(), c.event_type),
        (Err(e), Err(c)) => assert_eq!(e, c),
        _ => panic!("construct_event {event:?} and check_event {checked:?} disagree"),
    }
    // Every refusal of construct_event that verify does not make is about the body.
    if verified.is_ok() {
        if let Err(error) = &event {
            assert!(
                matches!(error, Error::InvalidBody(_) | Error::InvalidPayload(_)),
                "verified, then {error:?}"
            );
        }
    }
    // The fuzzed headers may carry a second signature or timestamp: the
    // oracle below holds only when Bitnob's headers are the only ones.
    let others = input.headers.iter().any(|(name, _)| {
        [BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER]
            .iter()
            .any(|h| name.trim_ascii().eq_ignore_ascii_case(h))
    });
    if input.secrets.is_empty() || others || input.body.len() > usize::from(input.max_body_bytes) {
        return;
    }
    let readable = !timestamp.is_empty()
        && timestamp.len() <= 19
        && timestamp.bytes().all(|c| c.is_ascii_digit());
    let fresh = match b.tolerance {
        None => true,
        Some(tolerance) => {
            readable
                && timestamp
                    .parse::<u64>()
                    .is_ok_and(|t| t.abs_diff(u64::from(b.now)) <= u64::from(tolerance))
        }
    };
    match b.how % 3 {
        1 if fresh => assert_eq!(verified, Ok(()), "a fresh signed delivery was refused"),
        1 => assert_eq!(verified, Err(Error::TimestampOutOfTolerance)),
        2 if b.legacy_off => assert_eq!(verified.map_err(|e| e.code()), Err("malformed_signature")),
        2 => assert_eq!(verified, Ok(()), "a legacy signature was refused"),
        _ => {}
    }
}
