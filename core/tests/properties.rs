//! Property tests: signing round-trips, and any change to body, signature or
//! secret is refused; arbitrary input never panics and always maps to a code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bullseye_webhooks::{ERROR_CODES, Webhook, parse_visit, sign};
use proptest::prelude::*;

fn secret() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..96)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..2048)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sign_then_verify_round_trips(secret in secret(), body in body()) {
        let webhook = Webhook::new(&secret).unwrap();
        prop_assert_eq!(webhook.verify(&body, &sign(&secret, &body)), Ok(()));
    }

    #[test]
    fn any_body_change_is_refused(secret in secret(), body in body(), index in any::<prop::sample::Index>(), flip in 1u8..=255) {
        prop_assume!(!body.is_empty());
        let signature = sign(&secret, &body);
        let mut changed = body.clone();
        let i = index.index(changed.len());
        changed[i] ^= flip;
        let webhook = Webhook::new(&secret).unwrap();
        prop_assert_eq!(webhook.verify(&changed, &signature).unwrap_err().code(), "signature_mismatch");
    }

    #[test]
    fn appending_or_truncating_the_body_is_refused(secret in secret(), body in body(), extra in 1usize..16) {
        let signature = sign(&secret, &body);
        let webhook = Webhook::new(&secret).unwrap();
        let mut longer = body.clone();
        longer.extend(std::iter::repeat_n(b' ', extra));
        prop_assert_eq!(webhook.verify(&longer, &signature).unwrap_err().code(), "signature_mismatch");
        if !body.is_empty() {
            let shorter = &body[..body.len() - 1];
            prop_assert_eq!(webhook.verify(shorter, &signature).unwrap_err().code(), "signature_mismatch");
        }
    }

    #[test]
    fn any_signature_digit_change_is_refused(secret in secret(), body in body(), index in 0usize..64, digit in 0u32..16) {
        let signature = sign(&secret, &body);
        let mut chars: Vec<char> = signature.chars().collect();
        let replacement = char::from_digit(digit, 16).unwrap();
        prop_assume!(chars[index] != replacement);
        chars[index] = replacement;
        let changed: String = chars.into_iter().collect();
        let webhook = Webhook::new(&secret).unwrap();
        prop_assert_eq!(webhook.verify(&body, &changed).unwrap_err().code(), "signature_mismatch");
    }

    #[test]
    fn any_other_secret_is_refused(secret in secret(), other in secret(), body in body()) {
        prop_assume!(secret != other);
        let webhook = Webhook::new(&other).unwrap();
        prop_assert_eq!(webhook.verify(&body, &sign(&secret, &body)).unwrap_err().code(), "signature_mismatch");
    }

    #[test]
    fn rotation_accepts_either_secret(new in secret(), old in secret(), body in body()) {
        let webhook = Webhook::with_secrets([&new, &old]).unwrap();
        prop_assert_eq!(webhook.verify(&body, &sign(&old, &body)), Ok(()));
        prop_assert_eq!(webhook.verify(&body, &sign(&new, &body)), Ok(()));
    }

    #[test]
    fn arbitrary_input_gives_a_known_code(body in body(), signature in ".{0,80}", max in 0usize..4096) {
        let webhook = Webhook::new("whsec_x").unwrap().with_max_body_bytes(max);
        for result in [
            webhook.verify(&body, &signature).map(|_| ()),
            webhook.construct_event(&body, &signature).map(|_| ()),
            webhook.construct_visit(&body, &signature).map(|_| ()),
            parse_visit(&body).map(|_| ()),
        ] {
            if let Err(e) = result {
                prop_assert!(ERROR_CODES.contains(&e.code()));
            }
        }
    }

    #[test]
    fn signed_arbitrary_json_never_panics(value in arbitrary_json()) {
        let body = value.to_string().into_bytes();
        let webhook = Webhook::new("whsec_x").unwrap();
        let signature = sign("whsec_x", &body);
        if let Err(e) = webhook.construct_event(&body, &signature) {
            prop_assert!(["invalid_body", "invalid_payload"].contains(&e.code()), "{}", e);
        }
        if let Err(e) = parse_visit(&body) {
            prop_assert!(["invalid_body", "invalid_payload"].contains(&e.code()), "{}", e);
        }
    }
}

/// JSON objects shaped like the payloads: known keys with values of any type.
fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9.]{0,12}".prop_map(Value::from),
        Just(Value::from("visitor.identified")),
        Just(Value::from("true")),
    ];
    let keys = prop_oneof![
        Just("event".to_owned()),
        Just("event_type".to_owned()),
        Just("visitor".to_owned()),
        Just("company".to_owned()),
        Just("session".to_owned()),
        Just("page_views".to_owned()),
        Just("email".to_owned()),
        Just("url".to_owned()),
        Just("timestamp".to_owned()),
        Just("screen".to_owned()),
        Just("id".to_owned()),
        "[a-z]{1,6}",
    ];
    let value = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    value.prop_map(|v| match v {
        serde_json::Value::Object(_) => v,
        other => serde_json::json!({ "event": "visitor.identified", "visitor": other }),
    })
}
