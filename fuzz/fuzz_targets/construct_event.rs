//! construct_event on arbitrary bytes, signed (so parsing is reached) or not,
//! with arbitrary tolerance, clock and strictness. Only the contract's codes
//! may come out; the check mode (check_event, no typed event) must give the
//! same answer; and serde_json, the oracle, must agree on what is JSON and
//! on the object read.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use bullseye_webhooks::{ERROR_CODES, Error, Webhook, sign};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    body: &'a [u8],
    signed: bool,
    strict: bool,
    tolerance: Option<u32>,
    now: u64,
}

/// serde_json's verdict on the text, below the depth limit (checked first).
fn serde_reads(body: &[u8]) -> Option<serde_json::Value> {
    let text = std::str::from_utf8(body).ok()?;
    let mut parser = serde_json::Deserializer::from_str(text);
    parser.disable_recursion_limit();
    let value = <serde_json::Value as serde::Deserialize>::deserialize(&mut parser).ok()?;
    parser.end().ok()?;
    Some(value)
}

fuzz_target!(|input: Input<'_>| {
    let mut webhook = Webhook::new("whsec_fuzz").unwrap_or_else(|_| unreachable!()).with_strict(input.strict);
    if let Some(seconds) = input.tolerance {
        webhook = webhook.with_tolerance(Duration::from_secs(u64::from(seconds)));
    }
    let signature = if input.signed { sign("whsec_fuzz", input.body) } else { String::new() };
    let now = UNIX_EPOCH + Duration::from_secs(input.now % 10_000_000_000);
    let constructed = webhook.construct_event_at(input.body, &signature, now);
    let checked = webhook.check_event_at(input.body, &signature, now);
    match (&constructed, &checked) {
        (Ok(event), Ok(checked)) => {
            assert_eq!(event.event_type(), checked.event_type);
            assert_eq!(event.mismatches(), &checked.mismatches[..]);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("construct {a:?} but check {b:?}"),
    }
    if input.signed {
        let syntax = matches!(&constructed, Err(Error::InvalidBody(m)) if m.contains("not valid JSON") || m.contains("UTF-8"));
        let too_deep = matches!(&constructed, Err(Error::InvalidBody(m)) if m.contains("nested deeper"));
        if !too_deep {
            assert_eq!(syntax, serde_reads(input.body).is_none(), "the scanner and serde_json disagree");
        }
    }
    match constructed {
        Ok(event) => {
            // Whatever was accepted was signed, and is exactly the body sent.
            assert!(input.signed);
            assert_eq!(event.raw_json().as_bytes(), input.body);
            assert_eq!(Some(serde_json::Value::Object(event.raw().clone())), serde_reads(input.body));
            assert!(!input.strict || event.mismatches().is_empty());
            for mismatch in event.mismatches() {
                assert_eq!(serde_json::from_str::<serde_json::Value>(mismatch.value_json()).ok(), Some(mismatch.value()));
                assert_ne!(mismatch.expected(), mismatch.found());
            }
        }
        Err(error) => assert!(ERROR_CODES.contains(&error.code())),
    }
});
