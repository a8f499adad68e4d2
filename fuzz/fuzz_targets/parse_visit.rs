//! parse_visit (lenient and strict) and construct_visit on arbitrary bytes
//! and signatures. The check mode (check_visit) must give the same answer,
//! and serde_json, the oracle, must agree on what is JSON and on the object.

#![no_main]

use bullseye_webhooks::{ERROR_CODES, Webhook, check_visit, parse_visit, parse_visit_strict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for strict in [false, true] {
        let parsed = if strict { parse_visit_strict(data) } else { parse_visit(data) };
        match (parsed, check_visit(data, strict)) {
            (Ok(visit), Ok(checked)) => {
                assert_eq!(visit.mismatches(), &checked.mismatches[..]);
                assert_eq!(visit.event_type, checked.event_type);
                assert!(!strict || visit.mismatches().is_empty());
                let typings: serde_json::Value = serde_json::from_str(&checked.typings_json).expect("typings are JSON");
                assert!(typings.is_array());
                // serde_json reads what the scanner accepted (its own
                // recursion limit off: the reader bounded the depth).
                let mut parser = serde_json::Deserializer::from_slice(data);
                parser.disable_recursion_limit();
                let serde = <serde_json::Value as serde::Deserialize>::deserialize(&mut parser).expect("serde_json reads it");
                assert_eq!(serde_json::Value::Object(visit.raw().clone()), serde);
            }
            (Err(error), checked) => {
                assert!(ERROR_CODES.contains(&error.code()));
                assert_eq!(checked, Err(error));
            }
            (Ok(_), Err(checked)) => panic!("the check refused what parse_visit accepts: {checked}"),
        }
    }
    let (signature, body) = data.split_at(data.len().min(40));
    let signature = String::from_utf8_lossy(signature);
    let webhook = Webhook::new("fp-token").unwrap_or_else(|_| unreachable!());
    if let Err(error) = webhook.construct_visit(body, &signature) {
        assert!(ERROR_CODES.contains(&error.code()));
    }
});
