//! The blocking client.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ErrorKind, PartnerApiError};
use crate::models::{
    LogEntry, LogsPage, LogsQuery, TestResult, WebhookConfig, WebhookEndpoint, WebhookKind,
    WebhookUpdate,
};
use crate::policy::{MAX_RESPONSE_BYTES, RetryPolicy, retry_after_delay, server_message};
use crate::secret::ApiKey;

/// The documented base URL of the partner API.
pub const DEFAULT_BASE_URL: &str = "https://api.app.bullseye.so/api/v1";

/// The header the partner API key travels in.
pub const API_KEY_HEADER: &str = "X-Partner-API-Key";

/// The environment variable the CLI and the examples read the key from.
pub const API_KEY_ENV: &str = "BULLSEYE_PARTNER_API_KEY";

/// A blocking client for the partner API's webhook endpoints.
///
/// Every call sends the key in `X-Partner-API-Key`, has a timeout, and is
/// retried with exponential backoff on 429 and 5xx (honouring `Retry-After`),
/// a bounded number of times. Connection failures and timeouts are retried
/// too for the idempotent calls (GET and PUT), never for
/// `POST /partner/webhooks/test`, which could otherwise send two tests.
/// Redirects are not followed, so the key never goes to another host.
///
/// `Debug` shows the base URL and policy, never the key.
#[derive(Clone)]
pub struct PartnerClient {
    agent: ureq::Agent,
    base_url: String,
    key: ApiKey,
    retry: RetryPolicy,
}

impl fmt::Debug for PartnerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerClient")
            .field("base_url", &self.base_url)
            .field("api_key", &self.key)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PartnerClient`]; every setting has a default.
#[derive(Debug, Clone)]
pub struct PartnerClientBuilder {
    key: ApiKey,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl PartnerClientBuilder {
    /// The base URL, for example the emulator's `http://127.0.0.1:PORT/api/v1`
    /// (default [`DEFAULT_BASE_URL`]). A trailing `/` is ignored.
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The whole time one HTTP request may take, connection included
    /// (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time a connection may take (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times a call is retried after the first try (default 3; 0 turns
    /// retries off).
    #[must_use]
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// The first backoff (default 500 ms); each retry doubles it, up to
    /// [`PartnerClientBuilder::max_backoff`], and waits a random time between
    /// half of it and all of it.
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.retry.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two tries (default 8 s).
    #[must_use]
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.retry.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` the client waits for (default 60 s). An answer
    /// asking for longer is returned as the error, with its
    /// [`PartnerApiError::retry_after`], instead of blocking that long.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.retry.max_retry_after = wait;
        self
    }

    /// The client. Fails (kind `config`) on an empty key, a key that cannot be
    /// an HTTP header value, or a base URL that is not `http(s)://`.
    pub fn build(self) -> Result<PartnerClient, PartnerApiError> {
        let key = self.key.expose();
        if key.is_empty() {
            return Err(PartnerApiError::new(
                ErrorKind::Config,
                None,
                "the partner API key is empty",
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PartnerApiError::new(
                ErrorKind::Config,
                None,
                "the partner API key has a character an HTTP header cannot carry \
                 (whitespace or non-ASCII)",
            ));
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let after_scheme = base_url
            .strip_prefix("https://")
            .or_else(|| base_url.strip_prefix("http://"));
        if after_scheme.is_none_or(|rest| rest.is_empty()) {
            return Err(PartnerApiError::new(
                ErrorKind::Config,
                None,
                format!("base URL {base_url:?} is not an http:// or https:// URL"),
            ));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .timeout_connect(Some(self.connect_timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!(
                "bullseye-webhooks-partner/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .into();
        Ok(PartnerClient {
            agent,
            base_url,
            key: self.key,
            retry: self.retry,
        })
    }
}

/// The HTTP method and body of one call.
enum Call<'a> {
    Get(&'a [(&'static str, String)]),
    Put(Value),
    Post(Value),
}

impl Call<'_> {
    fn idempotent(&self) -> bool {
        !matches!(self, Call::Post(_))
    }
}

impl PartnerClient {
    /// A client with every default ([`DEFAULT_BASE_URL`], 30 s timeout, 3
    /// retries).
    pub fn new(api_key: impl Into<String>) -> Result<Self, PartnerApiError> {
        Self::builder(api_key).build()
    }

    /// A builder, to change the base URL, timeouts or retries.
    pub fn builder(api_key: impl Into<String>) -> PartnerClientBuilder {
        PartnerClientBuilder {
            key: ApiKey::new(api_key.into()),
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }

    /// The base URL every path is joined to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /partner/webhooks`: both webhooks' configuration.
    pub fn get_config(&self) -> Result<WebhookConfig, PartnerApiError> {
        self.call("/partner/webhooks", Call::Get(&[]), "")
    }

    /// `PUT /partner/webhooks/{kind}`: change the URL, secret or enabled flag
    /// of one webhook; answers its new configuration.
    pub fn update_webhook(
        &self,
        kind: WebhookKind,
        update: &WebhookUpdate,
    ) -> Result<WebhookEndpoint, PartnerApiError> {
        let path = format!("/partner/webhooks/{kind}");
        let secret = update.secret.as_ref().map_or("", |s| s.expose());
        let mut answer: serde_json::Map<String, Value> =
            self.call(&path, Call::Put(update.to_body()), secret)?;
        let endpoint = answer.remove(kind.as_str()).ok_or_else(|| {
            PartnerApiError::new(
                ErrorKind::Decode,
                Some(200),
                format!("the answer to PUT {path} has no {kind:?} member"),
            )
        })?;
        serde_json::from_value(endpoint).map_err(|e| {
            PartnerApiError::new(
                ErrorKind::Decode,
                Some(200),
                format!("the answer to PUT {path}: {e}"),
            )
            .scrubbed(&[self.key.expose(), secret])
        })
    }

    /// `PUT /partner/webhooks/identification`.
    pub fn set_identification(
        &self,
        update: &WebhookUpdate,
    ) -> Result<WebhookEndpoint, PartnerApiError> {
        self.update_webhook(WebhookKind::Identification, update)
    }

    /// `PUT /partner/webhooks/billing`.
    pub fn set_billing(&self, update: &WebhookUpdate) -> Result<WebhookEndpoint, PartnerApiError> {
        self.update_webhook(WebhookKind::Billing, update)
    }

    /// `POST /partner/webhooks/test`: have Bullseye send a test webhook of this
    /// kind to the configured URL. Check [`TestResult::success`].
    pub fn send_test(&self, kind: WebhookKind) -> Result<TestResult, PartnerApiError> {
        self.call(
            "/partner/webhooks/test",
            Call::Post(serde_json::json!({ "type": kind.as_str() })),
            "",
        )
    }

    /// `GET /partner/webhooks/logs`: one page of delivery logs.
    pub fn logs(&self, query: &LogsQuery) -> Result<LogsPage, PartnerApiError> {
        let pairs = query.pairs();
        self.call("/partner/webhooks/logs", Call::Get(&pairs), "")
    }

    /// Every log entry matching `query`'s filters, page after page from
    /// `query.page` (default 1), fetched lazily. The iteration stops after the
    /// last page (an empty page, or `total` reached) or after the first error,
    /// which it yields. Entries logged while iterating may shift the pages.
    pub fn iter_logs(&self, query: LogsQuery) -> LogsIter<'_> {
        LogsIter {
            client: self,
            next_page: query.page.unwrap_or(1).max(1),
            query,
            buffer: Vec::new().into_iter(),
            done: false,
        }
    }

    /// Every log entry matching the filters, collected.
    pub fn all_logs(&self, query: LogsQuery) -> Result<Vec<LogEntry>, PartnerApiError> {
        self.iter_logs(query).collect()
    }

    /// One call with its retries. Errors are scrubbed of the key and of
    /// `secret` (the webhook secret a PUT sends; empty for none).
    fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        call: Call<'_>,
        secret: &str,
    ) -> Result<T, PartnerApiError> {
        let url = format!("{}{path}", self.base_url);
        let secrets = [self.key.expose(), secret];
        let mut retries = 0;
        loop {
            let outcome = self.send_once(&url, &call);
            let wait = match &outcome {
                Ok((status, _, _)) if (200..300).contains(status) => None,
                Ok((status, _, retry_after)) => {
                    self.retry
                        .wait(Some(*status), *retry_after, retries, call.idempotent())
                }
                Err(_) => self.retry.wait(None, None, retries, call.idempotent()),
            };
            if let Some(wait) = wait {
                std::thread::sleep(wait);
                retries += 1;
                continue;
            }
            let (status, body, retry_after) = outcome.map_err(|e| e.scrubbed(&secrets))?;
            if !(200..300).contains(&status) {
                return Err(PartnerApiError::new(
                    ErrorKind::Status,
                    Some(status),
                    server_message(&body, &secrets),
                )
                .with_retry_after(retry_after));
            }
            return serde_json::from_slice(&body).map_err(|e| {
                PartnerApiError::new(
                    ErrorKind::Decode,
                    Some(status),
                    format!("the answer to {path} is not the documented JSON: {e}"),
                )
                .scrubbed(&secrets)
            });
        }
    }

    /// One HTTP request: the status, the body and any `Retry-After`.
    fn send_once(
        &self,
        url: &str,
        call: &Call<'_>,
    ) -> Result<(u16, Vec<u8>, Option<Duration>), PartnerApiError> {
        let key = self.key.expose();
        let result = match call {
            Call::Get(pairs) => self
                .agent
                .get(url)
                .header(API_KEY_HEADER, key)
                .header("Accept", "application/json")
                .query_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
                .call(),
            Call::Put(body) => self
                .agent
                .put(url)
                .header(API_KEY_HEADER, key)
                .header("Accept", "application/json")
                .content_type("application/json")
                .send(body.to_string()),
            Call::Post(body) => self
                .agent
                .post(url)
                .header(API_KEY_HEADER, key)
                .header("Accept", "application/json")
                .content_type("application/json")
                .send(body.to_string()),
        };
        let mut response = result.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_delay(v, SystemTime::now()));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(transport_error)?;
        Ok((status, body, retry_after))
    }
}

/// No answer: say why without any header of the request.
fn transport_error(error: ureq::Error) -> PartnerApiError {
    let message = match &error {
        ureq::Error::Timeout(which) => format!("timed out ({which})"),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::BodyExceedsLimit(limit) => {
            format!("the answer is longer than {limit} bytes")
        }
        other => other.to_string(),
    };
    PartnerApiError::new(ErrorKind::Transport, None, message)
}

/// Every log entry over every page; see [`PartnerClient::iter_logs`].
#[derive(Debug)]
pub struct LogsIter<'a> {
    client: &'a PartnerClient,
    query: LogsQuery,
    next_page: u32,
    buffer: std::vec::IntoIter<LogEntry>,
    done: bool,
}

impl Iterator for LogsIter<'_> {
    type Item = Result<LogEntry, PartnerApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.buffer.next() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            let query = self.query.clone().page(self.next_page);
            let page = match self.client.logs(&query) {
                Ok(page) => page,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            };
            let count = page.logs.len() as u64;
            // The API's page size, or this page's length if it gave none.
            let size = match page.page_size {
                0 => count,
                size => u64::from(size),
            };
            self.done = count == 0
                || u64::from(self.next_page).saturating_mul(size) >= page.total
                || self.next_page == u32::MAX;
            self.next_page = self.next_page.saturating_add(1);
            self.buffer = page.logs.into_iter();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configuration_is_refused() {
        for (key, base) in [
            ("", DEFAULT_BASE_URL),
            ("has space", DEFAULT_BASE_URL),
            ("k\r\nX-Injected: 1", DEFAULT_BASE_URL),
            ("k", "ftp://example.com"),
            ("k", "https://"),
            ("k", "api.app.bullseye.so"),
        ] {
            let error = PartnerClient::builder(key)
                .base_url(base)
                .build()
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Config, "{key:?} {base:?}");
            assert_eq!(error.status(), None);
        }
        let client = PartnerClient::builder("k")
            .base_url("http://127.0.0.1:1/api/v1/")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1/api/v1");
        assert_eq!(
            PartnerClient::new("k").unwrap().base_url(),
            DEFAULT_BASE_URL
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let client = PartnerClient::new("pk_live_do_not_print").unwrap();
        let printed = format!("{client:?}");
        assert!(!printed.contains("do_not_print"), "{printed}");
        assert!(printed.contains("[REDACTED]"), "{printed}");
    }

    #[test]
    fn errors_are_scrubbed_of_the_key() {
        let error = PartnerApiError::new(ErrorKind::Status, Some(401), "bad key pk_123 given")
            .scrubbed(&["pk_123", ""]);
        assert_eq!(error.message(), "bad key [REDACTED] given");
        assert_eq!(
            error.to_string(),
            "partner API answered 401: bad key [REDACTED] given"
        );
        assert!(error.is_unauthorized());
    }
}
