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

/// HMAC-SHA256 under `secret` of `{timestamp}.{body}`, by hmac itself.
fn sha256_mac(secret: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[test]
fn precheck_says_what_to_hash_with_the_timestamp_as_sent() {
    let bitnob = BitnobWebhook::new("sk_test").unwrap();
    let sig = "Ab".repeat(32);
    let legacy_sig = "0f".repeat(64);
    let input = |headers: &[(&str, &str)]| {
        bitnob
            .precheck(BODY.len(), headers.iter().copied())
            .map(|input| input.timestamp().map(str::to_owned))
    };
    let signature = ("X-Bitnob-Signature", sig.as_str());
    // Not trimmed, not read as a number: the bytes the sync path signs.
    let spaced = [signature, ("x-bitnob-timestamp", " 17e8 ")];
    assert_eq!(input(&spaced), Ok(Some(" 17e8 ".to_owned())));
    let twice = [
        signature,
        ("X-Bitnob-Timestamp", "1"),
        ("x-bitnob-timestamp", "2"),
    ];
    assert_eq!(input(&twice), Ok(Some("1, 2".to_owned())));
    assert_eq!(input(&[signature]), Ok(Some(String::new())));
    let legacy = ("X-Bitnob-Signature", legacy_sig.as_str());
    assert_eq!(input(&[legacy, ("X-Bitnob-Timestamp", "1")]), Ok(None));
    let checked = bitnob.precheck(0, [signature]).unwrap();
    assert_eq!(checked.signature(), [0xab; 32]);
    assert_eq!(checked.mac_len(), 32);
    assert_eq!(
        bitnob.precheck(0, [legacy]).unwrap().signature(),
        [0x0f; 64]
    );
    // The checks before hashing, in the sync path's order.
    let small = bitnob.clone().with_max_body_bytes(4);
    assert_eq!(code(small.precheck(5, [])), "body_too_large");
    assert_eq!(code(bitnob.precheck(5, [])), "missing_signature");
    assert_eq!(
        code(bitnob.precheck(5, [("x-bitnob-signature", "zz")])),
        "malformed_signature"
    );
    let off = bitnob.with_legacy_sha512(false);
    assert_eq!(code(off.precheck(5, [legacy])), "malformed_signature");
}

#[test]
fn macs_of_another_count_or_scheme_never_match() {
    let bitnob = BitnobWebhook::with_secrets(["sk_new", "sk_old"]).unwrap();
    let sig = sign_bitnob("sk_old", "1700000000", BODY);
    let headers = [
        ("X-Bitnob-Signature", sig.as_str()),
        ("X-Bitnob-Timestamp", "1700000000"),
    ];
    let new = sha256_mac("sk_new", "1700000000", BODY);
    let old = sha256_mac("sk_old", "1700000000", BODY);
    let verify = |macs: &[u8]| code(bitnob.verify_macs_at(BODY.len(), headers, macs, at(NOW)));
    assert_eq!(verify(&[new.clone(), old.clone()].concat()), "ok");
    assert_eq!(verify(&[old.clone(), new.clone()].concat()), "ok");
    assert_eq!(verify(&old), "signature_mismatch");
    assert_eq!(
        verify(&[new.clone(), old.clone(), old.clone()].concat()),
        "signature_mismatch"
    );
    // A SHA-512 length of MACs for a SHA-256 signature.
    assert_eq!(
        verify(&[old.clone(), old.clone(), old.clone(), old.clone()].concat()),
        "signature_mismatch"
    );
    assert_eq!(verify(&[]), "signature_mismatch");
    // After the signature, the window, as the sync path.
    let late = bitnob.verify_macs_at(BODY.len(), headers, &[new, old].concat(), at(NOW + 301));
    assert_eq!(code(late), "timestamp_out_of_tolerance");
}
