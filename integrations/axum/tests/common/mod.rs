//! What the tests share: a real server on 127.0.0.1 (a free port) on its
//! own runtime thread, a blocking HTTP client, and the fixtures' vectors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    unreachable_pub
)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// The repository's fixtures directory.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The cases of fixtures/vectors.json.
pub fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("vectors.json")).unwrap();
    let mut all: Value = serde_json::from_str(&text).unwrap();
    match all["cases"].take() {
        Value::Array(cases) => cases,
        other => panic!("no cases: {other}"),
    }
}

/// A case's body bytes (`body`, `body_hex`, `body_file` or `body_repeat`).
pub fn body_of(case: &Value) -> Vec<u8> {
    if let Some(text) = case["body"].as_str() {
        return text.as_bytes().to_vec();
    }
    if let Some(hex) = case["body_hex"].as_str() {
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
    }
    if let Some(file) = case["body_file"].as_str() {
        return std::fs::read(fixtures().join("payloads").join(file)).unwrap();
    }
    let repeat = &case["body_repeat"];
    repeat["text"]
        .as_str()
        .unwrap()
        .repeat(usize::try_from(repeat["count"].as_u64().unwrap()).unwrap())
        .into_bytes()
}

/// A payload of fixtures/payloads.
pub fn payload(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("payloads").join(name)).unwrap()
}

/// The status the contract gives each refusal code (CONTRACT.md, "Error
/// codes"): written out here, not taken from the code under test.
pub fn contract_status(code: &str) -> u16 {
    match code {
        "body_too_large" => 413,
        "missing_signature" | "malformed_signature" | "invalid_body" | "invalid_payload" => 400,
        "signature_mismatch" | "timestamp_out_of_tolerance" => 401,
        other => panic!("not a refusal code: {other}"),
    }
}

/// Run `serve(listener)` on a runtime of its own thread, the listener bound
/// to 127.0.0.1 on a free port; returns `http://127.0.0.1:PORT`.
pub fn spawn_server<F, Fut>(serve: F) -> String
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            serve(listener).await;
        });
    });
    let address = receiver.recv_timeout(Duration::from_secs(30)).unwrap();
    format!("http://{address}")
}

/// An axum app served on 127.0.0.1.
pub fn serve_axum(app: axum::Router) -> String {
    spawn_server(|listener| async move {
        axum::serve(listener, app).await.unwrap();
    })
}

/// A blocking client: every status is an answer to read, never an error.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// An answer: status, JSON body (Null when empty or not JSON), headers.
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub retry_after: Option<String>,
}

/// POST `body` to `url` with these headers.
pub fn send(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send(body).unwrap())
}

/// POST `body` chunked (no Content-Length): the server learns its length
/// only by reading it.
pub fn send_chunked(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut reader = body;
    read(
        request
            .send(ureq::SendBody::from_reader(&mut reader))
            .unwrap(),
    )
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        retry_after,
    }
}

/// The contract's refusal body.
pub fn refusal(code: &str) -> Value {
    serde_json::json!({ "error": code })
}

/// The secret the axum tests sign with.
pub const SECRET: &str = "whsec_axum_test_secret_3c9d";

/// A JSON answer (axum's `Json` needs its `json` feature: not compiled here).
pub fn json_answer(value: Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([("content-type", "application/json")], value.to_string()).into_response()
}
