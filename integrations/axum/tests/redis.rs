//! De-duplication through a real redis-server with the async Redis store
//! (feature `redis`): two axum servers (two receivers of one fleet) share
//! it, and a delivery sent to both is handled once.

#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use bullseye_webhooks::{Webhook, sign};
use bullseye_webhooks_axum::Receiver;
use bullseye_webhooks_redis::AsyncRedisStore;
use common::{client, payload, send};
use serde_json::json;

const SECRET: &str = "whsec_redis_fleet_secret_5e21";

async fn handle(State(calls): State<Arc<AtomicUsize>>) -> &'static str {
    calls.fetch_add(1, Ordering::SeqCst);
    "handled"
}

/// A receiver of the fleet: its own server, runtime and Redis connection.
fn receiver_on(url: String, calls: Arc<AtomicUsize>) -> String {
    common::spawn_server(move |listener| async move {
        // The store's connection manager lives on this server's runtime.
        let store = AsyncRedisStore::new(redis::Client::open(url).unwrap()).unwrap();
        let receiver = Receiver::new(Webhook::new(SECRET).unwrap()).with_store(store);
        let app = Router::new()
            .route("/bullseye", post(handle).layer(receiver.layer()))
            .with_state(calls);
        axum::serve(listener, app).await.unwrap();
    })
}

#[test]
fn a_fleet_on_one_redis() {
    let server = redis_server::RedisServer::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let first = receiver_on(server.url(), Arc::clone(&calls));
    let second = receiver_on(server.url(), Arc::clone(&calls));
    let agent = client();
    let body = payload("identification-event.json");
    let signature = sign(SECRET, &body);
    let headers = [("X-Bullseye-Signature", signature.as_str())];

    let handled = send(&agent, &format!("{first}/bullseye"), &headers, &body);
    assert_eq!(handled.status, 200);
    for base in [&first, &second] {
        let copy = send(&agent, &format!("{base}/bullseye"), &headers, &body);
        assert_eq!(
            (copy.status, copy.json),
            (200, json!({ "duplicate": true }))
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(server);
    // Redis gone: the next delivery is answered 503 with Retry-After.
    let other = payload("generic-test-event.json");
    let other_signature = sign(SECRET, &other);
    let answer = send(
        &agent,
        &format!("{second}/bullseye"),
        &[("X-Bullseye-Signature", &other_signature)],
        &other,
    );
    assert_eq!(
        (answer.status, answer.json),
        (503, json!({ "error": "store_unavailable" }))
    );
    assert_eq!(answer.retry_after.as_deref(), Some("30"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
