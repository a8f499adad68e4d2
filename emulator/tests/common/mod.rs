//! What the emulator's tests share: a receiver built on the SDK, the
//! emulator, a client, and waiting.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bullseye_webhooks::{SIGNATURE_HEADER, Webhook};
use bullseye_webhooks_emulator::{Emulator, EmulatorConfig};
use bullseye_webhooks_partner::{LogEntry, LogsQuery, PartnerClient};
use tokio::sync::oneshot;

pub const KEY: &str = "pk_emulator_test_key_0123456789";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Vec<u8>,
    pub signature: Option<String>,
    /// The core's verdict: the event type, or the error code.
    pub verified: Result<String, String>,
    pub answered: u16,
    pub at: Instant,
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Events the receiver acted on (answered 2xx for): their session_id, or
    /// the whole body for events without one.
    processed: Vec<String>,
}

struct Shared {
    webhook: Option<Webhook>,
    /// The status to answer for each request in turn; 200 after the script.
    script: Vec<u16>,
    delay: Duration,
    log: Mutex<Log>,
}

/// A receiver on 127.0.0.1 that verifies each delivery with the core's
/// `Webhook` (refusing a bad signature with 401), answers the scripted
/// statuses, and processes an event only when it answers 2xx.
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start(secret: Option<&str>, script: &[u16]) -> Self {
        Self::start_with_delay(secret, script, Duration::ZERO)
    }

    pub fn start_with_delay(secret: Option<&str>, script: &[u16], delay: Duration) -> Self {
        let shared = Arc::new(Shared {
            webhook: secret.map(|s| Webhook::new(s).unwrap()),
            script: script.to_vec(),
            delay,
            log: Mutex::new(Log::default()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/webhooks/bullseye", post(receive))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    _ = axum::serve(listener, app).into_future() => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        Self {
            url: format!("http://{addr}/webhooks/bullseye"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().received.clone()
    }

    pub fn processed(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().processed.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !shared.delay.is_zero() {
        tokio::time::sleep(shared.delay).await;
    }
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let verified = match &shared.webhook {
        Some(webhook) => webhook
            .construct_event(&body, signature.as_deref().unwrap_or(""))
            .map(|event| event.event_type().to_owned())
            .map_err(|e| e.code().to_owned()),
        None => Ok("(unsigned)".to_owned()),
    };
    let mut log = shared.log.lock().unwrap();
    let scripted = shared
        .script
        .get(log.received.len())
        .copied()
        .unwrap_or(200);
    let answered = if verified.is_ok() { scripted } else { 401 };
    if (200..300).contains(&answered) {
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let key = value["session_id"].as_str().map_or_else(
            || String::from_utf8_lossy(&body).into_owned(),
            str::to_owned,
        );
        log.processed.push(key);
    }
    log.received.push(Received {
        body: body.to_vec(),
        signature,
        verified,
        answered,
        at: Instant::now(),
    });
    StatusCode::from_u16(answered).unwrap()
}

/// An in-memory emulator at this time scale.
pub fn emulator(time_scale: f64) -> Emulator {
    Emulator::start(EmulatorConfig::new(KEY).time_scale(time_scale)).unwrap()
}

/// The partner client, pointed at the emulator.
pub fn client(emulator: &Emulator) -> PartnerClient {
    PartnerClient::builder(KEY)
        .base_url(emulator.base_url())
        .initial_backoff(Duration::from_millis(10))
        .build()
        .unwrap()
}

/// Poll until `done` holds, for at most `limit`.
pub fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// Every log entry, oldest first.
pub fn all_logs_oldest_first(client: &PartnerClient, query: LogsQuery) -> Vec<LogEntry> {
    let mut logs = client.all_logs(query.page_size(100)).unwrap();
    logs.reverse();
    logs
}

/// An extra (undocumented) field of a log entry.
pub fn extra<'a>(entry: &'a LogEntry, name: &str) -> &'a serde_json::Value {
    entry.extra.get(name).unwrap_or(&serde_json::Value::Null)
}
