//! The binary: it serves what the library does, and refuses to start without
//! its key.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bullseye_webhooks_partner::{PartnerClient, WebhookUpdate};

const KEY: &str = "pk_binary_test_key";

fn emulator() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bullseye-webhooks-emulator"));
    command.env_remove("BULLSEYE_PARTNER_API_KEY");
    command
}

#[test]
fn it_prints_its_base_url_and_serves_the_partner_api() {
    let mut child = emulator()
        .args(["--port", "0", "--in-memory", "--time-scale", "0.001"])
        .env("BULLSEYE_PARTNER_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("partner API: ")
        .unwrap()
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert!(base_url.ends_with("/api/v1"), "{base_url}");

    let client = PartnerClient::builder(KEY)
        .base_url(&base_url)
        .build()
        .unwrap();
    let endpoint = client
        .set_billing(
            &WebhookUpdate::new()
                .url("http://127.0.0.1:9/b")
                .enabled(true),
        )
        .unwrap();
    assert!(endpoint.enabled);
    assert!(client.get_config().unwrap().billing.unwrap().enabled);
    let wrong = PartnerClient::builder("pk_other")
        .base_url(&base_url)
        .build()
        .unwrap();
    assert_eq!(wrong.get_config().unwrap_err().status(), Some(401));

    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("store in memory"), "{stderr}");
    assert!(!stderr.contains(KEY) && !line.contains(KEY));
}

#[test]
fn without_its_key_it_does_not_start() {
    let output = emulator().args(["--in-memory"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("set BULLSEYE_PARTNER_API_KEY"), "{stderr}");
}
