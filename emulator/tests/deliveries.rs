//! Deliveries the way Bullseye makes them: retried on the 1/5/30-minute
//! schedule (compressed by the time scale), at most 3 retries, each attempt
//! logged; a receiver built on the SDK that fails twice processes the event
//! once. And a file database that survives a restart, pending retries
//! included.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use bullseye_webhooks_emulator::{Database, Emulator, EmulatorConfig};
use bullseye_webhooks_partner::{LogsQuery, WebhookKind, WebhookUpdate};
use common::{KEY, Receiver, all_logs_oldest_first, client, emulator, extra, wait_for};
use serde_json::Value;

/// The scale these tests run at: the 1 and 5 minute waits become 60 and
/// 300 ms.
const SCALE: f64 = 0.001;

/// The millisecond of the day of an RFC 3339 `...T10:30:00.123Z`.
fn ms_of_day(timestamp: &str) -> i64 {
    let time = &timestamp[11..23];
    let h: i64 = time[0..2].parse().unwrap();
    let m: i64 = time[3..5].parse().unwrap();
    let s: i64 = time[6..8].parse().unwrap();
    let ms: i64 = time[9..12].parse().unwrap();
    ((h * 60 + m) * 60 + s) * 1000 + ms
}

#[test]
fn a_receiver_that_fails_twice_gets_three_attempts_and_processes_the_event_once() {
    let emulator = emulator(SCALE);
    let client = client(&emulator);
    let secret = "whsec_retry_test_secret";
    let receiver = Receiver::start(Some(secret), &[500, 500, 200]);
    client
        .set_identification(
            &WebhookUpdate::new()
                .url(&receiver.url)
                .secret(secret)
                .enabled(true),
        )
        .unwrap();

    let first = client.send_test(WebhookKind::Identification).unwrap();
    assert!(!first.success);
    assert!(
        first
            .message
            .starts_with("Test webhook delivery failed: the receiver answered 500; retrying at "),
        "{}",
        first.message
    );
    assert_eq!(first.extra["statusCode"], 500);
    assert!(first.extra["nextRetryAt"].is_string());

    assert!(wait_for(Duration::from_secs(10), || {
        client.logs(&LogsQuery::new()).unwrap().total == 3
    }));
    let logs = all_logs_oldest_first(&client, LogsQuery::new());
    let seen: Vec<(&str, Option<u16>, &Value)> = logs
        .iter()
        .map(|e| (e.status.as_str(), e.status_code, extra(e, "attempt")))
        .collect();
    assert_eq!(
        seen,
        [
            ("failed", Some(500), &Value::from(1)),
            ("failed", Some(500), &Value::from(2)),
            ("delivered", Some(200), &Value::from(3)),
        ]
    );
    // One delivery, retried on the scaled schedule: >= 60 ms, then >= 300 ms.
    let delivery = extra(&logs[0], "deliveryId");
    assert!(logs.iter().all(|e| extra(e, "deliveryId") == delivery));
    let times: Vec<i64> = logs.iter().map(|e| ms_of_day(&e.attempted_at)).collect();
    assert!(times[1] - times[0] >= 60, "{times:?}");
    assert!(times[2] - times[1] >= 300, "{times:?}");
    assert!(extra(&logs[0], "nextRetryAt").is_string());
    assert!(extra(&logs[1], "nextRetryAt").is_string());
    assert_eq!(extra(&logs[2], "nextRetryAt"), &Value::Null);

    // The receiver saw the same signed body three times, verified each, and
    // acted on it once.
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| r.body == received[0].body));
    assert!(
        received
            .iter()
            .all(|r| r.verified.as_deref() == Ok("visitor.identified"))
    );
    assert_eq!(
        received.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(received[1].at - received[0].at >= Duration::from_millis(60));
    assert!(received[2].at - received[1].at >= Duration::from_millis(300));
    assert_eq!(receiver.processed().len(), 1);
}

#[test]
fn after_three_retries_the_delivery_is_abandoned() {
    let emulator = emulator(0.0001);
    let client = client(&emulator);
    let receiver = Receiver::start(Some("whsec_x"), &[503; 10]);
    client
        .set_billing(&WebhookUpdate::new().url(&receiver.url).secret("whsec_x"))
        .unwrap();
    client.send_test(WebhookKind::Billing).unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        client.logs(&LogsQuery::new()).unwrap().total == 4
    }));
    // Nothing more comes.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(receiver.received().len(), 4);
    let logs = all_logs_oldest_first(&client, LogsQuery::new());
    assert_eq!(logs.len(), 4);
    assert!(
        logs.iter()
            .all(|e| e.status == "failed" && e.status_code == Some(503))
    );
    let attempts: Vec<&Value> = logs.iter().map(|e| extra(e, "attempt")).collect();
    assert_eq!(attempts, [&Value::from(1), &2.into(), &3.into(), &4.into()]);
    assert_eq!(extra(&logs[3], "nextRetryAt"), &Value::Null);
    assert!(receiver.processed().is_empty());
}

#[test]
fn no_answer_in_time_is_a_failed_attempt_without_a_status() {
    let emulator = Emulator::start(
        EmulatorConfig::new(KEY)
            .time_scale(0.0001)
            .delivery_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let client = client(&emulator);
    let slow = Receiver::start_with_delay(None, &[], Duration::from_millis(1500));
    client
        .set_identification(&WebhookUpdate::new().url(&slow.url))
        .unwrap();
    // The endpoint answers before the attempt's own timeout: pending.
    let result = client.send_test(WebhookKind::Identification).unwrap();
    assert!(!result.success);
    assert_eq!(result.extra["status"], "pending", "{result:?}");
    assert!(
        result.message.contains("has not answered yet"),
        "{result:?}"
    );
    // Then the attempt times out, and is logged as such.
    assert!(wait_for(Duration::from_secs(5), || {
        client.logs(&LogsQuery::new()).unwrap().total >= 1
    }));
    let entry = client.logs(&LogsQuery::new()).unwrap().logs.pop().unwrap();
    assert_eq!((entry.status.as_str(), entry.status_code), ("failed", None));
    assert!(
        extra(&entry, "error")
            .as_str()
            .unwrap()
            .starts_with("timeout"),
        "{entry:?}"
    );
    assert!(entry.response_time_ms.unwrap() >= 200);
    assert_eq!(extra(&entry, "deliveryId"), &result.extra["deliveryId"]);

    // No listener at all: refused at once.
    client
        .set_identification(&WebhookUpdate::new().url("http://127.0.0.1:9/nothing"))
        .unwrap();
    let result = client.send_test(WebhookKind::Identification).unwrap();
    assert!(!result.success);
    assert!(result.extra["error"].is_string());
}

#[test]
fn a_database_file_keeps_configuration_logs_and_pending_retries_across_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "bullseye-emulator-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("emulator.sqlite3");
    // The first retry 600 ms after the first attempt: time to stop before it.
    let config = || {
        EmulatorConfig::new(KEY)
            .database(Database::File(path.clone()))
            .time_scale(0.01)
    };
    let receiver = Receiver::start(Some("whsec_persist"), &[500, 200]);

    let first = Emulator::start(config()).unwrap();
    let organization_id = first.organization_id().to_owned();
    let client1 = client(&first);
    client1
        .set_identification(
            &WebhookUpdate::new()
                .url(&receiver.url)
                .secret("whsec_persist")
                .enabled(true),
        )
        .unwrap();
    assert!(
        !client1
            .send_test(WebhookKind::Identification)
            .unwrap()
            .success
    );
    first.stop();
    assert_eq!(receiver.received().len(), 1);

    let second = Emulator::start(config()).unwrap();
    assert_eq!(second.organization_id(), organization_id);
    assert_eq!(second.resumed_deliveries(), 1);
    let client2 = client(&second);
    let id = client2.get_config().unwrap().identification.unwrap();
    assert_eq!(
        (id.url.as_deref(), id.enabled, id.has_secret),
        (Some(receiver.url.as_str()), true, true)
    );
    // The retry happens under the new process, and is logged after the first.
    assert!(wait_for(Duration::from_secs(10), || receiver
        .received()
        .len()
        == 2));
    assert!(wait_for(Duration::from_secs(5), || {
        client2.logs(&LogsQuery::new()).unwrap().total == 2
    }));
    let logs = all_logs_oldest_first(&client2, LogsQuery::new());
    assert_eq!(
        logs.iter()
            .map(|e| (e.status.as_str(), e.status_code))
            .collect::<Vec<_>>(),
        [("failed", Some(500)), ("delivered", Some(200))]
    );
    assert_eq!(receiver.processed().len(), 1);
    assert_eq!(
        receiver.received()[1].verified.as_deref(),
        Ok("visitor.identified")
    );
    second.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
