//! The partner API's webhook endpoints, and the emulator's own.

// A refusal is a whole `Response`, the axum way; it is built once per
// request, so its size costs nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::clock::{now_ms, rfc3339_ms, uuid_v4};
use crate::delivery::{self, FirstAttempt};
use crate::payload;
use crate::store::{Delivery, LogFilter, WebhookRow};
use crate::{API_PREFIX, State};

/// The documented header.
const API_KEY_HEADER: &str = "x-partner-api-key";

/// The logs endpoint's page size when none is asked for, and the largest.
const DEFAULT_PAGE_SIZE: u32 = 20;
const MAX_PAGE_SIZE: u32 = 100;

/// The longest URL accepted in a webhook's configuration.
const MAX_URL_LEN: usize = 2048;

pub(crate) fn router(state: Arc<State>) -> Router {
    let path = |p: &str| format!("{API_PREFIX}{p}");
    Router::new()
        .route(&path("/partner/webhooks"), get(get_config))
        .route(&path("/partner/webhooks/test"), post(send_test))
        .route(&path("/partner/webhooks/logs"), get(logs))
        .route(&path("/partner/webhooks/{kind}"), put(put_webhook))
        .route(&path("/emulator/deliver/{kind}"), post(deliver))
        .route(&path("/emulator/health"), get(health))
        .fallback(not_found)
        .with_state(state)
}

type Answer = Result<Response, Response>;

fn reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `{"error": code, "message": message}`.
fn problem(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    reply(status, &json!({ "error": code, "message": message.into() }))
}

fn internal(message: String) -> Response {
    problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
}

/// 401 unless the request carries the emulator's key (compared in constant
/// time for equal lengths).
fn authorize(state: &State, headers: &HeaderMap) -> Result<(), Response> {
    let Some(given) = headers.get(API_KEY_HEADER) else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing X-Partner-API-Key header",
        ));
    };
    if bool::from(given.as_bytes().ct_eq(state.api_key.as_bytes())) {
        Ok(())
    } else {
        Err(problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "invalid API key",
        ))
    }
}

fn parse_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "identification" => Some("identification"),
        "billing" => Some("billing"),
        _ => None,
    }
}

fn unknown_kind(kind: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("unknown webhook type {kind:?}: expected identification or billing"),
    )
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be a JSON object",
        )),
        Err(e) => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("the body is not JSON: {e}"),
        )),
    }
}

async fn health() -> Response {
    reply(StatusCode::OK, &json!({ "ok": true }))
}

async fn not_found(uri: Uri) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such endpoint: {}", uri.path()),
    )
}

/// `GET /partner/webhooks`.
async fn get_config(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Answer {
    authorize(&state, &headers)?;
    let (identification, billing) = state
        .with_store(|s| Ok((s.webhook("identification")?, s.webhook("billing")?)))
        .map_err(internal)?;
    Ok(reply(
        StatusCode::OK,
        &json!({
            "identification": identification.public(),
            "billing": billing.public(),
        }),
    ))
}

/// `PUT /partner/webhooks/identification|billing`: each of `url`, `secret`,
/// `enabled` that is present is changed; `null` (or `""` for the secret)
/// removes the URL or secret.
async fn put_webhook(
    Shared(state): Shared<Arc<State>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    authorize(&state, &headers)?;
    let kind = parse_kind(&kind).ok_or_else(|| unknown_kind(&kind))?;
    let update = json_object(&body)?;
    let bad = |message: &str| problem(StatusCode::BAD_REQUEST, "invalid_request", message);
    let mut row = state.with_store(|s| s.webhook(kind)).map_err(internal)?;
    match update.get("url") {
        None => {}
        Some(Value::Null) => row.url = None,
        Some(Value::String(url)) => {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(|h| h.is_empty() || h.starts_with('/')) || url.len() > MAX_URL_LEN {
                return Err(bad(
                    "url must be an http:// or https:// URL of at most 2048 characters",
                ));
            }
            row.url = Some(url.clone());
        }
        Some(_) => return Err(bad("url must be a string")),
    }
    match update.get("secret") {
        None => {}
        Some(Value::Null) => row.secret = None,
        Some(Value::String(secret)) if secret.is_empty() => row.secret = None,
        Some(Value::String(secret)) => row.secret = Some(secret.clone()),
        Some(_) => return Err(bad("secret must be a string")),
    }
    match update.get("enabled") {
        None => {}
        Some(Value::Bool(enabled)) => row.enabled = *enabled,
        Some(_) => return Err(bad("enabled must be a boolean")),
    }
    state
        .with_store(|s| s.set_webhook(kind, &row))
        .map_err(internal)?;
    let mut answer = Map::new();
    answer.insert(kind.to_owned(), row.public());
    Ok(reply(StatusCode::OK, &Value::Object(answer)))
}

/// `POST /partner/webhooks/test`: deliver a test webhook now, and answer once
/// its first attempt is made.
async fn send_test(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Bytes) -> Answer {
    authorize(&state, &headers)?;
    let request = json_object(&body)?;
    let kind = request
        .get("type")
        .and_then(Value::as_str)
        .and_then(parse_kind)
        .ok_or_else(|| {
            reply(
                StatusCode::BAD_REQUEST,
                &json!({
                    "success": false,
                    "error": "invalid_request",
                    "message": "type must be \"identification\" or \"billing\"",
                }),
            )
        })?;
    let row = state.with_store(|s| s.webhook(kind)).map_err(internal)?;
    let now = now_ms();
    let (body, event_type) = match kind {
        "identification" => (
            payload::identification_test(&state.organization_id, now),
            "visitor.identified",
        ),
        _ => (
            payload::billing_test(&state.organization_id, now),
            payload::BILLING_TEST_EVENT,
        ),
    };
    let body = body.map_err(|e| internal(e.to_string()))?;
    let organization_id = state.organization_id.clone();
    start(
        &state,
        kind,
        row,
        body.into_bytes(),
        organization_id,
        Some(event_type.to_owned()),
        true,
    )
    .await
}

/// `POST /emulator/deliver/identification|billing`: deliver the request's
/// body, byte for byte, as an event of that webhook (which must be enabled).
async fn deliver(
    Shared(state): Shared<Arc<State>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    authorize(&state, &headers)?;
    let kind = parse_kind(&kind).ok_or_else(|| unknown_kind(&kind))?;
    let payload = json_object(&body)?;
    let row = state.with_store(|s| s.webhook(kind)).map_err(internal)?;
    if !row.enabled {
        return Err(reply(
            StatusCode::CONFLICT,
            &json!({
                "success": false,
                "error": "webhook_disabled",
                "message": format!("the {kind} webhook is disabled: enable it first"),
            }),
        ));
    }
    let organization_id = payload
        .get("organization_id")
        .and_then(Value::as_str)
        .map_or_else(|| state.organization_id.clone(), str::to_owned);
    let event_type = ["event_type", "event"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
        .map(str::to_owned);
    start(
        &state,
        kind,
        row,
        body.to_vec(),
        organization_id,
        event_type,
        false,
    )
    .await
}

/// Create the delivery, wait for its first attempt, and say how it went.
async fn start(
    state: &Arc<State>,
    kind: &str,
    row: WebhookRow,
    body: Vec<u8>,
    organization_id: String,
    event_type: Option<String>,
    test: bool,
) -> Answer {
    let Some(url) = row.url else {
        return Err(reply(
            StatusCode::BAD_REQUEST,
            &json!({
                "success": false,
                "error": "no_url",
                "message": format!("no {kind} webhook URL is configured"),
            }),
        ));
    };
    let id = uuid_v4().map_err(|e| internal(e.to_string()))?;
    let delivery = Delivery {
        id,
        kind: kind.to_owned(),
        organization_id: Some(organization_id),
        event_type,
        url,
        secret: row.secret,
        body,
        test,
        attempts: 0,
        next_attempt_ms: Some(now_ms()),
    };
    let delivery_id = delivery.id.clone();
    let first = tokio::time::timeout(
        state.answer_within,
        delivery::start(Arc::clone(state), delivery),
    )
    .await;
    let answer = match first {
        Ok(first) => first_attempt_answer(&first.map_err(internal)?, test),
        // The attempt goes on (and is logged); the caller hears now.
        Err(_) => json!({
            "success": false,
            "message": format!(
                "{} sent; the receiver has not answered yet (see the logs)",
                if test { "Test webhook" } else { "Webhook" }
            ),
            "deliveryId": delivery_id,
            "status": "pending",
            "statusCode": null,
            "error": null,
            "nextRetryAt": null,
        }),
    };
    Ok(reply(StatusCode::OK, &answer))
}

fn first_attempt_answer(first: &FirstAttempt, test: bool) -> Value {
    let what = if test { "Test webhook" } else { "Webhook" };
    let message = if first.delivered() {
        format!("{what} sent successfully")
    } else {
        let why = match (first.status_code, &first.error) {
            (Some(status), _) => format!("the receiver answered {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        };
        let next = match first.next_retry_ms {
            Some(ms) => format!("; retrying at {}", rfc3339_ms(ms)),
            None => String::new(),
        };
        format!("{what} delivery failed: {why}{next}")
    };
    json!({
        "success": first.delivered(),
        "message": message,
        "deliveryId": first.delivery_id,
        "status": if first.delivered() { "delivered" } else { "failed" },
        "statusCode": first.status_code,
        "error": first.error,
        "nextRetryAt": first.next_retry_ms.map(rfc3339_ms),
    })
}

/// `GET /partner/webhooks/logs?page&pageSize&type&status&organizationId`.
///
/// The query is read as pairs, in order, rather than into a struct: a name
/// sent twice keeps its last value instead of failing, and an empty value
/// means "not given", as before.
async fn logs(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Answer {
    authorize(&state, &headers)?;
    let bad = |message: String| problem(StatusCode::BAD_REQUEST, "invalid_request", message);
    let mut filter = LogFilter {
        kind: None,
        status: None,
        organization_id: None,
        page: 1,
        page_size: DEFAULT_PAGE_SIZE,
    };
    for (name, value) in query {
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "page" => {
                filter.page = value
                    .parse()
                    .ok()
                    .filter(|page| *page >= 1)
                    .ok_or_else(|| bad(format!("page must be an integer from 1, not {value:?}")))?;
            }
            "pageSize" => {
                filter.page_size = value
                    .parse()
                    .ok()
                    .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
                    .ok_or_else(|| {
                        bad(format!(
                            "pageSize must be an integer from 1 to {MAX_PAGE_SIZE}, not {value:?}"
                        ))
                    })?;
            }
            "type" => {
                let kind = parse_kind(&value).ok_or_else(|| {
                    bad(format!(
                        "type must be identification or billing, not {value:?}"
                    ))
                })?;
                filter.kind = Some(kind.to_owned());
            }
            "status" => filter.status = Some(value),
            "organizationId" => filter.organization_id = Some(value),
            _ => {}
        }
    }
    let (logs, total) = state.with_store(|s| s.logs(&filter)).map_err(internal)?;
    Ok(reply(
        StatusCode::OK,
        &json!({
            "logs": logs,
            "total": total,
            "page": filter.page,
            "pageSize": filter.page_size,
        }),
    ))
}
