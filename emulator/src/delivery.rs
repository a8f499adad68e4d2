//! Delivering a webhook: the signed POST, the retry schedule, the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bullseye_webhooks::{SIGNATURE_HEADER, sign};
use tokio::sync::oneshot;

use crate::State;
use crate::clock::{now_ms, rfc3339_ms};
use crate::store::{Attempt, Delivery};

/// The waits before each retry, after the previous attempt failed: about 1,
/// 5 and 30 minutes, as Bullseye's guide says; so at most 3 retries, the last
/// about 36 minutes after the first attempt. Multiplied by the time scale.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
];

/// How much of a receiver's answer the log keeps.
const MAX_LOGGED_BODY: usize = 1024;

/// What the first attempt gave, for the endpoint that started the delivery.
pub(crate) struct FirstAttempt {
    pub(crate) delivery_id: String,
    pub(crate) status_code: Option<u16>,
    pub(crate) error: Option<String>,
    pub(crate) next_retry_ms: Option<i64>,
}

impl FirstAttempt {
    pub(crate) fn delivered(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Store a new delivery and run it; answers once the first attempt is made
/// (retries go on in the background).
pub(crate) async fn start(state: Arc<State>, delivery: Delivery) -> Result<FirstAttempt, String> {
    state.with_store(|store| store.insert_delivery(&delivery, now_ms()))?;
    let (tx, rx) = oneshot::channel();
    tokio::spawn(run(state, delivery.id, Some(tx)));
    rx.await
        .map_err(|_| "the delivery stopped before its first attempt".to_owned())?
}

/// Resume every delivery a previous run left with attempts to make.
pub(crate) fn resume(state: &Arc<State>) -> Result<usize, String> {
    let pending = state.with_store(|store| store.pending_deliveries())?;
    let count = pending.len();
    for delivery in pending {
        tokio::spawn(run(Arc::clone(state), delivery.id, None));
    }
    Ok(count)
}

/// Make the delivery's attempts, each when due, until one is answered with a
/// 2xx or the retries run out.
async fn run(
    state: Arc<State>,
    id: String,
    mut first: Option<oneshot::Sender<Result<FirstAttempt, String>>>,
) {
    loop {
        let delivery = match state.with_store(|store| store.delivery(&id)) {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return,
            Err(error) => {
                state.log(&format!("delivery {id}: {error}"));
                if let Some(first) = first.take() {
                    let _ = first.send(Err(error));
                }
                return;
            }
        };
        let Some(due_ms) = delivery.next_attempt_ms else {
            return;
        };
        let wait = due_ms.saturating_sub(now_ms());
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
        }
        let attempt = attempt(&state, &delivery).await;
        let recorded = state.with_store(|store| store.record_attempt(&delivery, &attempt));
        state.log(&describe(&delivery, &attempt));
        let stop = match &recorded {
            // Not recorded: stop rather than attempt again at once (a file
            // database resumes the delivery at the next start).
            Err(error) => {
                state.log(&format!("delivery {id}: {error}"));
                true
            }
            Ok(_) => attempt.next_retry_ms.is_none(),
        };
        if let Some(first) = first.take() {
            let _ = first.send(recorded.map(|_| FirstAttempt {
                delivery_id: delivery.id.clone(),
                status_code: attempt.status_code,
                error: attempt.error.clone(),
                next_retry_ms: attempt.next_retry_ms,
            }));
        }
        if stop {
            return;
        }
    }
}

/// One attempt: POST the body, signed with the delivery's secret.
async fn attempt(state: &State, delivery: &Delivery) -> Attempt {
    let number = delivery.attempts + 1;
    let agent = state.agent.clone();
    let url = delivery.url.clone();
    let body = delivery.body.clone();
    let signature = delivery.secret.as_ref().map(|secret| sign(secret, &body));
    let attempted_ms = now_ms();
    let started = Instant::now();
    let sent = tokio::task::spawn_blocking(move || post(&agent, &url, signature, body)).await;
    let response_time_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error, response_body) = match sent {
        Ok(Ok((status, body))) => (Some(status), None, Some(body)),
        Ok(Err(error)) => (None, Some(error), None),
        Err(join) => (
            None,
            Some(format!("the delivery task failed: {join}")),
            None,
        ),
    };
    let delivered = status_code.is_some_and(|s| (200..300).contains(&s));
    let next_retry_ms =
        match RETRY_DELAYS.get(delivery.attempts as usize) {
            Some(delay) if !delivered => Some(now_ms().saturating_add(
                i64::try_from(state.scaled(*delay).as_millis()).unwrap_or(i64::MAX),
            )),
            _ => None,
        };
    Attempt {
        attempt: number,
        status_code,
        attempted_ms,
        response_time_ms,
        error,
        response_body,
        next_retry_ms,
    }
}

/// The POST itself (blocking): the status and the start of the answer, or why
/// there was no answer.
fn post(
    agent: &ureq::Agent,
    url: &str,
    signature: Option<String>,
    body: Vec<u8>,
) -> Result<(u16, String), String> {
    let mut request = agent.post(url).content_type("application/json");
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    let mut response = request.send(body).map_err(|error| match error {
        ureq::Error::Timeout(_) => "timeout: no answer in time".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        other => other.to_string(),
    })?;
    let status = response.status().as_u16();
    let mut answer = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    answer.truncate(MAX_LOGGED_BODY);
    Ok((status, String::from_utf8_lossy(&answer).into_owned()))
}

/// One line per attempt, for the emulator's console.
fn describe(delivery: &Delivery, attempt: &Attempt) -> String {
    let answer = match (attempt.status_code, &attempt.error) {
        (Some(status), _) => format!("answered {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".to_owned(),
    };
    let next = match attempt.next_retry_ms {
        Some(ms) => format!(", retry at {}", rfc3339_ms(ms)),
        None if attempt.delivered() => String::new(),
        None => ", no retry left".to_owned(),
    };
    format!(
        "{} {} delivery {} attempt {} to {}: {answer} in {} ms{next}",
        rfc3339_ms(attempt.attempted_ms),
        delivery.kind,
        delivery.id,
        attempt.attempt,
        delivery.url,
        attempt.response_time_ms,
    )
}
