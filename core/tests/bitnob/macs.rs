//! The MACs computed outside the core (the JavaScript packages' Web Crypto
//! path): `precheck`, then `verify_macs_at` and `check_event_with_macs_at`
//! with the MACs computed here by the hmac and sha2 crates themselves, give
//! every case of `fixtures/bitnob-vectors.json` the vector's answers, which
//! are the sync path's (`every_bitnob_vector`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};

use super::*;

/// HMAC under `secret` of `parts` end to end.
fn mac<M: Mac + KeyInit>(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <M as KeyInit>::new_from_slice(secret).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The codes the sync path can answer before computing a MAC.
const BEFORE_HASHING: [&str; 3] = ["body_too_large", "missing_signature", "malformed_signature"];

#[test]
fn every_bitnob_vector_with_the_macs_computed_outside() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    let (mut refused_before, mut sha256, mut sha512, mut rotated) = (0, 0, 0, 0);
    for case in cases {
        let name = format!("{} [{}]", case["name"], case["source"]);
        // A verifier that cannot be built is every_bitnob_vector's.
        let Ok(verifier) = verifier_of(case) else {
            continue;
        };
        let body = body_of(case);
        let headers = headers_of(case);
        let secrets = secrets_of(case);
        let now = UNIX_EPOCH + Duration::from_secs(case["now_unix"].as_u64().unwrap());
        let expect = &case["expect"];
        let input = match verifier.precheck(body.len(), pairs(&headers)) {
            Ok(input) => input,
            Err(error) => {
                refused_before += 1;
                if Err(&error) != verifier.verify_at(&body, pairs(&headers), now).as_ref() {
                    failures.push(format!("{name}: precheck's error differs from verify's"));
                }
                let got = json!({"ok": false, "code": error.code()});
                if got != expect["verify"] || got != expect["construct_event"] {
                    failures.push(format!("{name}: precheck gave {got}, expected {expect}"));
                }
                if !BEFORE_HASHING.contains(&error.code()) {
                    failures.push(format!("{name}: precheck refused with {}", error.code()));
                }
                continue;
            }
        };
        let macs: Vec<u8> = secrets
            .iter()
            .flat_map(|secret| match input.timestamp() {
                Some(timestamp) => {
                    mac::<Hmac<Sha256>>(secret.as_bytes(), &[timestamp.as_bytes(), b".", &body])
                }
                None => mac::<Hmac<Sha512>>(secret.as_bytes(), &[&body]),
            })
            .collect();
        match input.timestamp() {
            Some(_) => sha256 += 1,
            None => sha512 += 1,
        }
        if secrets.len() > 1 {
            rotated += 1;
        }
        if macs.len() != input.mac_len() * secrets.len()
            || input.signature().len() != input.mac_len()
        {
            failures.push(format!(
                "{name}: MACs of {} bytes for {}",
                input.mac_len(),
                macs.len()
            ));
        }
        let verified = verifier.verify_macs_at(body.len(), pairs(&headers), &macs, now);
        let checked = verifier.check_event_with_macs_at(&body, pairs(&headers), &macs, now);
        // The sync path's very results (the errors' details included).
        if verified != verifier.verify_at(&body, pairs(&headers), now)
            || checked != verifier.check_event_at(&body, pairs(&headers), now)
        {
            failures.push(format!(
                "{name}: the MACs' results differ from the sync path's"
            ));
        }
        let got_verify = answer(&verified, |()| None);
        let got_event = answer(&checked, |c| Some(c.event_type.clone()));
        if got_verify != expect["verify"] {
            failures.push(format!(
                "{name}: verify_macs_at gave {got_verify}, expected {}",
                expect["verify"]
            ));
        }
        if got_event != expect["construct_event"] {
            failures.push(format!(
                "{name}: check_event_with_macs_at gave {got_event}, expected {}",
                expect["construct_event"]
            ));
        }
        // What the JavaScript path passes when Web Crypto verified nothing:
        // MACs that cannot match, answered as a wrong signature is.
        for no_match in [&[0u8][..], &vec![0; macs.len()]] {
            let code = |result: Result<_, Error>| result.err().map(|error| error.code());
            let verify = code(verifier.verify_macs_at(body.len(), pairs(&headers), no_match, now));
            let event = code(
                verifier
                    .check_event_with_macs_at(&body, pairs(&headers), no_match, now)
                    .map(|_| ()),
            );
            if verify != Some("signature_mismatch") || event != Some("signature_mismatch") {
                failures.push(format!(
                    "{name}: MACs that cannot match gave {verify:?} / {event:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} Bitnob vectors failed with the MACs computed outside:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every path was taken: refusals before hashing, both schemes, rotation.
    assert!(
        refused_before >= 10 && sha256 >= 50 && sha512 >= 5 && rotated >= 3,
        "{refused_before} refused before hashing, {sha256} SHA-256, {sha512} SHA-512, {rotated} rotated"
    );
}
