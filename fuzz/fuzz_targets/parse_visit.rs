//! parse_visit and construct_visit on arbitrary bytes and signatures; the
//! lean reader (parse_visit_json, no serde) must give the same answer.

#![no_main]

use bullseye_webhooks::{ERROR_CODES, Webhook, parse_visit, parse_visit_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match (parse_visit(data), parse_visit_json(data)) {
        (Ok(visit), Ok(json)) => {
            let lean: serde_json::Value = serde_json::from_str(&json).expect("the lean view is JSON");
            assert_eq!(lean, serde_json::to_value(&visit).expect("a visit serializes"));
        }
        (Err(error), lean) => {
            assert!(ERROR_CODES.contains(&error.code()));
            assert_eq!(lean, Err(error));
        }
        (Ok(_), Err(lean)) => panic!("the lean reader refused what the reference accepts: {lean}"),
    }
    let (signature, body) = data.split_at(data.len().min(40));
    let signature = String::from_utf8_lossy(signature);
    let webhook = Webhook::new("fp-token").unwrap_or_else(|_| unreachable!());
    if let Err(error) = webhook.construct_visit(body, &signature) {
        assert!(ERROR_CODES.contains(&error.code()));
    }
});
