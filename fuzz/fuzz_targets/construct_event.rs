//! construct_event on arbitrary bytes, signed (so parsing is reached) or not,
//! with arbitrary tolerance and clock. Only the contract's codes may come out,
//! and the lean check (check_event, no serde) must give the same answer.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use bullseye_webhooks::{ERROR_CODES, Webhook, sign};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    body: &'a [u8],
    signed: bool,
    tolerance: Option<u32>,
    now: u64,
}

fuzz_target!(|input: Input<'_>| {
    let mut webhook = Webhook::new("whsec_fuzz").unwrap_or_else(|_| unreachable!());
    if let Some(seconds) = input.tolerance {
        webhook = webhook.with_tolerance(Duration::from_secs(u64::from(seconds)));
    }
    let signature = if input.signed { sign("whsec_fuzz", input.body) } else { String::new() };
    let now = UNIX_EPOCH + Duration::from_secs(input.now % 10_000_000_000);
    let constructed = webhook.construct_event_at(input.body, &signature, now);
    let checked = webhook.check_event_at(input.body, &signature, now);
    assert_eq!(checked, constructed.as_ref().map(|event| event.event_type().to_owned()).map_err(Clone::clone));
    match constructed {
        Ok(event) => {
            // Whatever was accepted was signed, and is exactly the body sent.
            assert!(input.signed);
            assert_eq!(event.raw_json().as_bytes(), input.body);
            let _ = event.raw().len();
        }
        Err(error) => assert!(ERROR_CODES.contains(&error.code())),
    }
});
