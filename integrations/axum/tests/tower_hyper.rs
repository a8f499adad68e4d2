//! The tower layer around a plain `tower::service_fn`, served by hyper
//! itself (no axum router) on 127.0.0.1: signed, tampered, unsigned and
//! too-large deliveries, and a visit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::convert::Infallible;

use axum::body::Body;
use bullseye_webhooks::{Webhook, sign};
use bullseye_webhooks_axum::{Receiver, Verified, VerifiedEvent, VerifiedVisit, VisitWebhook};
use common::{client, payload, refusal, send, send_chunked, spawn_server};
use http_body_util::BodyExt;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tower::{Layer, service_fn};

const SECRET: &str = "whsec_tower_test_secret_91ab";

/// Serve `service` with hyper's HTTP/1 connection builder, one task per
/// connection.
fn serve_hyper<S>(service: S) -> String
where
    S: tower::Service<
            Request<hyper::body::Incoming>,
            Response = Response<Body>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    spawn_server(move |listener| async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

/// The inner service: answers with what the layer left it, the event's
/// type and whether the body it was given is the raw body signed.
async fn inner(request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let event_type = request
        .extensions()
        .get::<VerifiedEvent>()
        .map(|Verified(event)| event.event_type().to_owned());
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let answer = json!({ "event_type": event_type, "body_signed": sign(SECRET, &body) });
    Ok(Response::new(Body::from(answer.to_string())))
}

#[test]
fn the_layer_around_a_hyper_service() {
    let receiver = Receiver::new(Webhook::new(SECRET).unwrap().with_max_body_bytes(4096));
    let url = serve_hyper(receiver.layer().layer(service_fn(inner)));
    let agent = client();
    let body = payload("identification-event-type.json");
    let signature = sign(SECRET, &body);

    let signed = send(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body);
    assert_eq!(signed.status, 200);
    assert_eq!(
        signed.json,
        json!({ "event_type": "visitor.identified", "body_signed": signature })
    );
    // Chunked, the same.
    let chunked = send_chunked(&agent, &url, &[("X-Bullseye-Signature", &signature)], &body);
    assert_eq!(chunked.status, 200);

    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 0x01;
    let answer = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &signature)],
        &tampered,
    );
    assert_eq!(
        (answer.status, answer.json),
        (401, refusal("signature_mismatch"))
    );

    let answer = send(&agent, &url, &[], &body);
    assert_eq!(
        (answer.status, answer.json),
        (400, refusal("missing_signature"))
    );

    let answer = send(&agent, &url, &[("X-Bullseye-Signature", "not hex")], &body);
    assert_eq!(
        (answer.status, answer.json),
        (400, refusal("malformed_signature"))
    );

    let large = vec![b'{'; 4097];
    let answer = send(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &sign(SECRET, &large))],
        &large,
    );
    assert_eq!(
        (answer.status, answer.json),
        (413, refusal("body_too_large"))
    );
    let answer = send_chunked(
        &agent,
        &url,
        &[("X-Bullseye-Signature", &sign(SECRET, &large))],
        &large,
    );
    assert_eq!(
        (answer.status, answer.json),
        (413, refusal("body_too_large"))
    );
}

async fn visit_inner(request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let visit = request.extensions().get::<VerifiedVisit>().cloned();
    let answer = json!({
        "event_type": visit.as_ref().and_then(|v| v.event_type.clone()),
        "id": visit.as_ref().and_then(|v| v.id().map(str::to_owned)),
    });
    Ok(Response::new(Body::from(answer.to_string())))
}

#[test]
fn a_visit_through_the_layer() {
    let token = "fp-static-token-for-tests";
    let receiver = Receiver::new(VisitWebhook(Webhook::new(token).unwrap()));
    let url = serve_hyper(receiver.layer().layer(service_fn(visit_inner)));
    let agent = client();
    let body = payload("visit-new-visitor.json");
    let expected: serde_json::Value = serde_json::from_slice(&body).unwrap();

    // fingerprinting-api's header holds a static token or an HMAC.
    for signature in [token.to_owned(), sign(token, &body)] {
        let answer = send(&agent, &url, &[("X-Webhook-Signature", &signature)], &body);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json["event_type"], "NEW_VISITOR");
        assert_eq!(answer.json["id"], expected["id"]);
    }
    let answer = send(
        &agent,
        &url,
        &[("X-Webhook-Signature", "another-token")],
        &body,
    );
    assert_eq!(
        (answer.status, answer.json),
        (401, refusal("signature_mismatch"))
    );
    let answer = send(&agent, &url, &[], &body);
    assert_eq!(
        (answer.status, answer.json),
        (400, refusal("missing_signature"))
    );
}
