//! parse_visit and construct_visit on arbitrary bytes and signatures.

#![no_main]

use bullseye_webhooks::{ERROR_CODES, Webhook, parse_visit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(error) = parse_visit(data) {
        assert!(ERROR_CODES.contains(&error.code()));
    }
    let (signature, body) = data.split_at(data.len().min(40));
    let signature = String::from_utf8_lossy(signature);
    let webhook = Webhook::new("fp-token").unwrap_or_else(|_| unreachable!());
    if let Err(error) = webhook.construct_visit(body, &signature) {
        assert!(ERROR_CODES.contains(&error.code()));
    }
});
