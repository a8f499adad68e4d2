//! Inputs a public endpoint will see sooner or later.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bullseye_webhooks::{ERROR_CODES, Error, Webhook, sign};

#[test]
fn hundred_megabytes_of_whitespace_is_refused_by_size() {
    let body = vec![b' '; 100 * 1024 * 1024];
    let webhook = Webhook::new("whsec_x").unwrap().with_strict(true);
    let error = webhook.construct_event(&body, &"0".repeat(64)).unwrap_err();
    assert_eq!(
        error,
        Error::BodyTooLarge {
            limit: 1024 * 1024,
            actual: 100 * 1024 * 1024
        }
    );
    assert_eq!(error.http_status(), 413);
}

#[test]
fn deep_nesting_within_the_size_limit_is_refused_without_overflow() {
    // 1 MiB of brackets: far past the depth limit, within the size limit.
    let mut body = b"{\"event\":\"x\",\"a\":".to_vec();
    body.resize(1024 * 1024 - 1, b'[');
    let webhook = Webhook::new("whsec_x").unwrap().with_strict(true);
    let error = webhook
        .construct_event(&body, &sign("whsec_x", &body))
        .unwrap_err();
    assert_eq!(error.code(), "invalid_body");
}

#[test]
fn error_codes_are_the_contract_list_in_order() {
    assert_eq!(
        ERROR_CODES,
        [
            "invalid_secret",
            "body_too_large",
            "missing_signature",
            "malformed_signature",
            "signature_mismatch",
            "invalid_body",
            "invalid_payload",
            "timestamp_out_of_tolerance",
        ]
    );
}

#[test]
fn each_error_answers_its_contract_status() {
    use bullseye_webhooks::ERROR_HTTP_STATUSES;
    let one_of_each = [
        Error::InvalidSecret,
        Error::BodyTooLarge {
            limit: 0,
            actual: 1,
        },
        Error::MissingSignature,
        Error::MalformedSignature { length: 0 },
        Error::SignatureMismatch,
        Error::InvalidBody(String::new()),
        Error::InvalidPayload(String::new()),
        Error::TimestampOutOfTolerance,
    ];
    let codes: Vec<&str> = one_of_each.iter().map(Error::code).collect();
    assert_eq!(codes, ERROR_CODES);
    let statuses: Vec<u16> = one_of_each.iter().map(Error::http_status).collect();
    // The contract: 413 too large; 401 mismatch and tolerance; 400 other refusals.
    assert_eq!(statuses, [500, 413, 400, 400, 401, 400, 400, 401]);
    assert_eq!(statuses, ERROR_HTTP_STATUSES);
}

#[test]
fn no_message_or_debug_contains_a_secret() {
    let secret = "whsec_RECOGNISABLE_SECRET_41f9";
    let webhook = Webhook::with_secrets([secret, "whsec_OTHER_RECOGNISABLE_77"])
        .unwrap()
        .with_strict(true);
    let body = br#"{"event":"visitor.identified","visitor":{"email":5.5}}"#;
    let mut texts = vec![format!("{webhook:?}")];
    let attempts: Vec<Result<(), Error>> = vec![
        webhook.verify(body, ""),
        webhook.verify(body, secret),
        webhook.verify(body, &"0".repeat(64)),
        webhook
            .construct_event(body, &sign(secret, body))
            .map(|_| ()),
        webhook
            .construct_event(b"nope", &sign(secret, b"nope"))
            .map(|_| ()),
        webhook.construct_visit(body, "wrong").map(|_| ()),
        Webhook::with_secrets([secret, ""]).map(|_| ()),
        webhook.clone().with_max_body_bytes(1).verify(body, secret),
    ];
    for attempt in attempts {
        let error = attempt.unwrap_err();
        texts.push(error.to_string());
        texts.push(format!("{error:?}"));
    }
    for text in texts {
        assert!(!text.contains("RECOGNISABLE"), "secret leaked into: {text}");
    }
}

#[test]
fn messages_do_not_echo_payload_values() {
    let body = br#"{"event":"visitor.identified","visitor":{"email":["jane@private.example"]}}"#;
    let webhook = Webhook::new("whsec_x").unwrap().with_strict(true);
    let error = webhook
        .construct_event(body, &sign("whsec_x", body))
        .unwrap_err();
    assert_eq!(error.code(), "invalid_payload");
    assert_eq!(
        error.to_string(),
        "invalid_payload: `visitor.email` must be a string, but it is an array"
    );
}
