use super::*;

const NOW: u64 = 1_700_000_000;
const BODY: &[u8] = br#"{"event":"transaction.completed","data":{"id":"tx_1"}}"#;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn code(result: Result<impl Sized, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

#[test]
fn timestamped_and_legacy_signatures_verify() {
    let bitnob = BitnobWebhook::new("sk_test").unwrap();
    let sig = sign_bitnob("sk_test", "1700000000", BODY);
    let headers = [
        ("X-Bitnob-Signature", sig.as_str()),
        ("X-Bitnob-Timestamp", "1700000000"),
    ];
    assert_eq!(code(bitnob.verify_at(BODY, headers, at(NOW))), "ok");
    let legacy = sign_bitnob_legacy("sk_test", BODY);
    assert_eq!(legacy.len(), 128);
    let headers = [("x-bitnob-signature", legacy.as_str())];
    assert_eq!(code(bitnob.verify_at(BODY, headers, at(NOW))), "ok");
    let off = bitnob.clone().with_legacy_sha512(false);
    let error = off.verify_at(BODY, headers, at(NOW)).unwrap_err();
    assert_eq!(error.code(), "malformed_signature");
    assert!(
        error.to_string().contains("SHA-512 scheme is switched off"),
        "{error}"
    );
}

#[test]
fn the_window_is_inclusive_in_both_directions() {
    let bitnob = BitnobWebhook::new("sk_test").unwrap();
    let sig = sign_bitnob("sk_test", "1700000000", BODY);
    let headers = [
        ("X-Bitnob-Signature", sig.as_str()),
        ("X-Bitnob-Timestamp", "1700000000"),
    ];
    for (now, expected) in [
        (NOW + 300, "ok"),
        (NOW - 300, "ok"),
        (NOW + 301, "timestamp_out_of_tolerance"),
        (NOW - 301, "timestamp_out_of_tolerance"),
    ] {
        assert_eq!(
            code(bitnob.verify_at(BODY, headers, at(now))),
            expected,
            "{now}"
        );
    }
    let off = bitnob.without_tolerance();
    assert_eq!(code(off.verify_at(BODY, headers, at(NOW + 10_000))), "ok");
}

#[test]
fn event_type_comes_from_the_header_or_the_body_and_they_must_agree() {
    let bitnob = BitnobWebhook::new("sk_test").unwrap();
    let sig = sign_bitnob("sk_test", "1700000000", BODY);
    let with_event = |event: &'static str| {
        let headers = [
            ("X-Bitnob-Signature", sig.as_str()),
            ("X-Bitnob-Timestamp", "1700000000"),
            ("X-Bitnob-Event", event),
        ];
        bitnob.construct_event_at(BODY, headers, at(NOW))
    };
    let event = with_event("transaction.completed").unwrap();
    assert_eq!(event.event_type(), "transaction.completed");
    assert_eq!(event.raw()["data"]["id"], "tx_1");
    assert_eq!(
        with_event("").unwrap().event_type(),
        "transaction.completed"
    );
    let error = with_event("wallet.created").unwrap_err();
    assert_eq!(error.code(), "invalid_payload");
    assert!(error.to_string().contains("disagrees"), "{error}");
}

#[test]
fn last4_and_debug_never_show_the_secret() {
    assert_eq!(secret_last4("sk_live_ABCD1234"), "1234");
    assert_eq!(secret_last4("é€x"), "é€x");
    assert_eq!(secret_last4("aé€xy"), "é€xy");
    let bitnob = BitnobWebhook::with_secrets(["sk_live_SECRETVALUE1234", "x1234"]).unwrap();
    assert_eq!(bitnob.secrets_ending_in("1234"), [0, 1]);
    assert_eq!(bitnob.secrets_ending_in("234"), Vec::<usize>::new());
    let debug = format!("{bitnob:?}");
    assert!(
        !debug.contains("SECRETVALUE") && !debug.contains("1234"),
        "{debug}"
    );
    assert!(debug.contains("[REDACTED; 2]"), "{debug}");
}
