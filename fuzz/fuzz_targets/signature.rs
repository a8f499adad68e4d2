//! Signature-header handling: any header string, any body, any options.
//! Verification must return one of the contract's codes, never panic, and
//! accept exactly the signatures `sign` produces (in either case, trimmed).

#![no_main]

use arbitrary::Arbitrary;
use bullseye_webhooks::{ERROR_CODES, Webhook, find_header, sign};
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
}

fuzz_target!(|input: Input<'_>| {
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
