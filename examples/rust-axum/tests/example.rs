//! Runs the example receiver (its own binary, on a free port of 127.0.0.1)
//! and sends it signed, tampered and unsigned deliveries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bullseye_webhooks::sign;

const SECRET: &str = "whsec_example_axum_only_for_tests";

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(url: &str, signature: Option<&str>, body: &[u8]) -> (u16, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    let mut request = agent.post(url).header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("X-Bullseye-Signature", signature);
    }
    let mut response = request.send(body).unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

#[test]
fn signed_tampered_and_unsigned() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rust-axum-receiver"))
        .env("BULLSEYE_WEBHOOK_SECRET", SECRET)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let url = format!("{base}/webhooks/bullseye");

    let body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/payloads/bullseye-partner-api-identification.json"),
    )
    .unwrap();
    let signature = sign(SECRET, &body);
    assert_eq!(
        post(&url, Some(&signature), &body),
        (200, r#"{"received":"visitor.identified"}"#.to_owned())
    );
    let mut tampered = body.clone();
    tampered.insert(1, b' ');
    assert_eq!(
        post(&url, Some(&signature), &tampered),
        (401, r#"{"error":"signature_mismatch"}"#.to_owned())
    );
    assert_eq!(
        post(&url, None, &body),
        (400, r#"{"error":"missing_signature"}"#.to_owned())
    );
    drop(running);
}
