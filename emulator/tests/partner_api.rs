//! The Rust partner client against the emulator, over real HTTP on
//! 127.0.0.1: every endpoint, the payloads a receiver built on the SDK gets,
//! filters, pagination and authentication.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use bullseye_webhooks::Webhook;
use bullseye_webhooks_partner::{
    ErrorKind, LogsQuery, PartnerClient, WebhookKind, WebhookUpdate, generate_secret,
};
use common::{KEY, Receiver, client, emulator, extra, wait_for};
use serde_json::Value;

/// A raw HTTP/1.1 request; the status and body of the answer.
fn raw(addr: std::net::SocketAddr, request: &str) -> (u16, Value) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

#[test]
fn configuration_starts_empty_and_follows_each_put() {
    let emulator = emulator(1.0);
    let client = client(&emulator);

    let config = client.get_config().unwrap();
    for kind in WebhookKind::ALL {
        let endpoint = config.get(kind).unwrap();
        assert_eq!(
            (
                endpoint.url.as_deref(),
                endpoint.enabled,
                endpoint.has_secret
            ),
            (None, false, false)
        );
    }

    let secret = generate_secret().unwrap();
    let id = client
        .set_identification(
            &WebhookUpdate::new()
                .url("https://example.com/webhooks/identify")
                .secret(secret)
                .enabled(true),
        )
        .unwrap();
    assert_eq!(
        (id.url.as_deref(), id.enabled, id.has_secret),
        (Some("https://example.com/webhooks/identify"), true, true)
    );
    // Only what is sent changes.
    let billing = client
        .set_billing(&WebhookUpdate::new().url("http://127.0.0.1:9/billing"))
        .unwrap();
    assert_eq!(
        (billing.url.as_deref(), billing.enabled, billing.has_secret),
        (Some("http://127.0.0.1:9/billing"), false, false)
    );
    let id = client
        .set_identification(&WebhookUpdate::new().enabled(false))
        .unwrap();
    assert_eq!((id.enabled, id.has_secret), (false, true));
    // An empty secret removes it.
    let id = client
        .set_identification(&WebhookUpdate::new().secret(""))
        .unwrap();
    assert!(!id.has_secret);

    let config = client.get_config().unwrap();
    let id = config.identification.unwrap();
    assert_eq!(
        (id.url.as_deref(), id.enabled, id.has_secret),
        (Some("https://example.com/webhooks/identify"), false, false)
    );
    assert_eq!(
        config.billing.unwrap().url.as_deref(),
        Some("http://127.0.0.1:9/billing")
    );
}

#[test]
fn bad_updates_are_refused_with_a_message() {
    let emulator = emulator(1.0);
    let client = client(&emulator);
    let error = client
        .set_identification(&WebhookUpdate::new().url("ftp://example.com"))
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(error.message().contains("http:// or https://"), "{error}");

    let put = |body: &str| {
        raw(
            emulator.addr(),
            &format!(
                "PUT /api/v1/partner/webhooks/billing HTTP/1.1\r\nhost: x\r\nx-partner-api-key: {KEY}\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    assert_eq!(put(r#"{"enabled":"yes"}"#).0, 400);
    assert_eq!(put(r#"{"secret":5}"#).0, 400);
    assert_eq!(put("[1]").0, 400);
    assert_eq!(put("not json").0, 400);
    let (status, body) = raw(
        emulator.addr(),
        &format!(
            "PUT /api/v1/partner/webhooks/refunds HTTP/1.1\r\nhost: x\r\nx-partner-api-key: {KEY}\r\n\
             content-length: 2\r\nconnection: close\r\n\r\n{{}}"
        ),
    );
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("refunds"));
}

#[test]
fn a_missing_or_wrong_key_is_401_with_a_message() {
    let emulator = emulator(1.0);
    let wrong = PartnerClient::builder("pk_wrong_key")
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    for error in [
        wrong.get_config().unwrap_err(),
        wrong.logs(&LogsQuery::new()).unwrap_err(),
        wrong.send_test(WebhookKind::Billing).unwrap_err(),
        wrong
            .set_billing(&WebhookUpdate::new().enabled(true))
            .unwrap_err(),
    ] {
        assert_eq!(error.kind(), ErrorKind::Status);
        assert_eq!(error.status(), Some(401));
        assert_eq!(error.message(), "invalid API key");
        assert!(!error.to_string().contains("pk_wrong_key"));
    }
    let (status, body) = raw(
        emulator.addr(),
        "GET /api/v1/partner/webhooks HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(status, 401);
    assert_eq!(body["message"], "missing X-Partner-API-Key header");
    // Nothing changed.
    let config = client(&emulator).get_config().unwrap();
    assert!(!config.billing.unwrap().enabled);
}

#[test]
fn the_identification_test_is_the_documented_example_signed_with_fresh_ids() {
    let emulator = emulator(1.0);
    let client = client(&emulator);
    let secret = generate_secret().unwrap();
    let receiver = Receiver::start(Some(secret.expose()), &[]);
    client
        .set_identification(
            &WebhookUpdate::new()
                .url(&receiver.url)
                .secret(secret.clone())
                .enabled(true),
        )
        .unwrap();

    let before = std::time::SystemTime::now();
    let result = client.send_test(WebhookKind::Identification).unwrap();
    assert!(result.success, "{result:?}");
    assert_eq!(result.message, "Test webhook sent successfully");
    assert_eq!(result.extra["statusCode"], 200);

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let delivery = &received[0];
    assert_eq!(delivery.verified.as_deref(), Ok("visitor.identified"));
    // The core reads it as a typed event with no mismatch.
    let event = Webhook::new(secret.expose())
        .unwrap()
        .construct_event(&delivery.body, delivery.signature.as_deref().unwrap())
        .unwrap();
    assert!(event.mismatches().is_empty());
    assert!(event.as_visitor_identified().is_some());
    assert_eq!(event.raw()["organization_id"], emulator.organization_id());
    assert_eq!(event.raw()["visitor"]["email"], "john@acme.com");
    assert_eq!(event.raw()["company"]["size"], 150);
    let session_id = event.raw()["session_id"].as_str().unwrap();
    assert_eq!(session_id.len(), 36);
    assert_ne!(session_id, "uuid");
    // The timestamp is now (to the second).
    let timestamp = event.raw()["timestamp"].as_str().unwrap();
    let now = before
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let year = 1970 + now / 31_556_952;
    assert!(timestamp.starts_with(&year.to_string()), "{timestamp}");
    assert!(
        timestamp.ends_with('Z') && timestamp.len() == 20,
        "{timestamp}"
    );

    // A second test has other ids.
    client.send_test(WebhookKind::Identification).unwrap();
    assert_eq!(receiver.processed().len(), 2);
    assert_ne!(receiver.processed()[0], receiver.processed()[1]);

    // Each delivery is logged with the documented fields.
    let page = client.logs(&LogsQuery::new()).unwrap();
    assert_eq!((page.total, page.page, page.page_size), (2, 1, 20));
    for entry in &page.logs {
        assert_eq!(entry.kind, "identification");
        assert_eq!(entry.status, "delivered");
        assert_eq!(entry.status_code, Some(200));
        assert_eq!(
            entry.organization_id.as_deref(),
            Some(emulator.organization_id())
        );
        assert_eq!(entry.id.len(), 36);
        assert!(entry.response_time_ms.is_some());
        assert_eq!(extra(entry, "attempt"), 1);
        assert_eq!(extra(entry, "test"), true);
        assert_eq!(extra(entry, "eventType"), "visitor.identified");
        assert_eq!(extra(entry, "nextRetryAt"), &Value::Null);
    }
    assert!(page.logs[0].attempted_at >= page.logs[1].attempted_at);
}

#[test]
fn the_billing_test_is_a_generic_event() {
    let emulator = emulator(1.0);
    let client = client(&emulator);
    let receiver = Receiver::start(Some("whsec_billing"), &[]);
    client
        .set_billing(
            &WebhookUpdate::new()
                .url(&receiver.url)
                .secret("whsec_billing"),
        )
        .unwrap();
    // A test is sent even while the webhook is disabled.
    let result = client.send_test(WebhookKind::Billing).unwrap();
    assert!(result.success, "{result:?}");
    let received = receiver.received();
    assert_eq!(received[0].verified.as_deref(), Ok("billing.test"));
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["organization_id"], emulator.organization_id());
    assert_eq!(body["data"]["id"].as_str().unwrap().len(), 36);
    let logs = client
        .logs(&LogsQuery::new().kind(WebhookKind::Billing))
        .unwrap();
    assert_eq!(logs.total, 1);
    assert_eq!(logs.logs[0].kind, "billing");
}

#[test]
fn a_test_without_a_url_is_refused() {
    let emulator = emulator(1.0);
    let error = client(&emulator)
        .send_test(WebhookKind::Identification)
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        error.message(),
        "no identification webhook URL is configured"
    );
}

#[test]
fn without_a_secret_deliveries_are_unsigned() {
    let emulator = emulator(1.0);
    let client = client(&emulator);
    let receiver = Receiver::start(None, &[]);
    client
        .set_identification(&WebhookUpdate::new().url(&receiver.url))
        .unwrap();
    assert!(
        client
            .send_test(WebhookKind::Identification)
            .unwrap()
            .success
    );
    assert_eq!(receiver.received()[0].signature, None);
}

#[test]
fn the_deliver_endpoint_sends_the_callers_payload_byte_for_byte() {
    let emulator = emulator(1.0);
    let client = client(&emulator);
    let receiver = Receiver::start(Some("whsec_x"), &[]);
    client
        .set_identification(&WebhookUpdate::new().url(&receiver.url).secret("whsec_x"))
        .unwrap();
    // The payload has a drifted field and its own spacing: both go as sent.
    let payload = r#"{"event_type":"visitor.identified", "organization_id":"org-other","session_id":"s-1","company":{"size":"150"}}"#;
    let deliver = || {
        raw(
            emulator.addr(),
            &format!(
                "POST /api/v1/emulator/deliver/identification HTTP/1.1\r\nhost: x\r\n\
                 x-partner-api-key: {KEY}\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{payload}",
                payload.len()
            ),
        )
    };
    // Disabled: refused.
    let (status, body) = deliver();
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["success"], false);
    assert!(receiver.received().is_empty());

    client
        .set_identification(&WebhookUpdate::new().enabled(true))
        .unwrap();
    let (status, body) = deliver();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Webhook sent successfully");
    let received = receiver.received();
    assert_eq!(received[0].body, payload.as_bytes());
    assert_eq!(received[0].verified.as_deref(), Ok("visitor.identified"));

    let logs = client
        .logs(&LogsQuery::new().organization_id("org-other"))
        .unwrap();
    assert_eq!(logs.total, 1);
    assert_eq!(extra(&logs.logs[0], "test"), false);
    assert_eq!(
        extra(&logs.logs[0], "deliveryId").as_str(),
        body["deliveryId"].as_str()
    );
}

#[test]
fn logs_filter_and_paginate() {
    let emulator = emulator(0.0001);
    let client = client(&emulator);
    let ok = Receiver::start(Some("whsec_ok"), &[]);
    let failing = Receiver::start(Some("whsec_failing"), &[500; 10]);
    client
        .set_identification(&WebhookUpdate::new().url(&ok.url).secret("whsec_ok"))
        .unwrap();
    client
        .set_billing(
            &WebhookUpdate::new()
                .url(&failing.url)
                .secret("whsec_failing"),
        )
        .unwrap();
    for _ in 0..5 {
        assert!(
            client
                .send_test(WebhookKind::Identification)
                .unwrap()
                .success
        );
    }
    // One billing delivery: 1 attempt + 3 retries, all answered 500.
    let billing = client.send_test(WebhookKind::Billing).unwrap();
    assert!(!billing.success);
    assert!(billing.message.contains("500"), "{}", billing.message);
    assert!(wait_for(Duration::from_secs(10), || failing
        .received()
        .len()
        == 4));
    assert!(wait_for(Duration::from_secs(5), || {
        client.logs(&LogsQuery::new()).unwrap().total == 9
    }));

    let count = |query: LogsQuery| client.logs(&query).unwrap().total;
    assert_eq!(count(LogsQuery::new().kind(WebhookKind::Identification)), 5);
    assert_eq!(count(LogsQuery::new().kind(WebhookKind::Billing)), 4);
    assert_eq!(count(LogsQuery::new().status("delivered")), 5);
    assert_eq!(count(LogsQuery::new().status("failed")), 4);
    assert_eq!(
        count(
            LogsQuery::new()
                .kind(WebhookKind::Identification)
                .status("failed")
        ),
        0
    );
    assert_eq!(
        count(LogsQuery::new().organization_id(emulator.organization_id())),
        9
    );
    assert_eq!(count(LogsQuery::new().organization_id("someone-else")), 0);

    // Pages of 2: 5 pages, the last with one entry; every entry once.
    let page = client.logs(&LogsQuery::new().page(5).page_size(2)).unwrap();
    assert_eq!((page.logs.len(), page.total, page.page), (1, 9, 5));
    assert!(
        client
            .logs(&LogsQuery::new().page(6).page_size(2))
            .unwrap()
            .logs
            .is_empty()
    );
    let all = client.all_logs(LogsQuery::new().page_size(2)).unwrap();
    let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 9);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 9);
    // Newest first.
    assert!(
        all.windows(2)
            .all(|w| w[0].attempted_at >= w[1].attempted_at)
    );
    let failed = client
        .all_logs(LogsQuery::new().status("failed").page_size(3))
        .unwrap();
    assert_eq!(failed.len(), 4);
    assert!(
        failed
            .iter()
            .all(|e| e.kind == "billing" && e.status_code == Some(500))
    );

    // Bad parameters are 400 with a message.
    for query in [
        LogsQuery::new().page(0),
        LogsQuery::new().page_size(0),
        LogsQuery::new().page_size(101),
    ] {
        let error = client.logs(&query).unwrap_err();
        assert_eq!(error.status(), Some(400), "{query:?}");
        assert!(!error.message().is_empty());
    }
    let (status, body) = raw(
        emulator.addr(),
        &format!(
            "GET /api/v1/partner/webhooks/logs?type=refunds HTTP/1.1\r\nhost: x\r\n\
             x-partner-api-key: {KEY}\r\nconnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("refunds"));
}
