//! The documented request and response shapes. Every response type keeps the
//! fields the documentation does not list in `extra`, so nothing the API
//! sends is lost; documented fields the API leaves out read as their default.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::WebhookSecret;

/// Which of the two webhooks: visitor identification or billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    /// `identification`: `visitor.identified` events.
    Identification,
    /// `billing`: billing events.
    Billing,
}

impl WebhookKind {
    /// Both kinds, in the documented order.
    pub const ALL: [WebhookKind; 2] = [WebhookKind::Identification, WebhookKind::Billing];

    /// The name used in paths, bodies and the `type` filter.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Identification => "identification",
            WebhookKind::Billing => "billing",
        }
    }
}

impl fmt::Display for WebhookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WebhookKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "identification" => Ok(WebhookKind::Identification),
            "billing" => Ok(WebhookKind::Billing),
            other => Err(format!(
                "unknown webhook type {other:?}: expected identification or billing"
            )),
        }
    }
}

/// One webhook's configuration as `GET /partner/webhooks` and the `PUT`s
/// answer it: `{"url", "enabled", "hasSecret"}`. The secret itself is never
/// returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    /// The endpoint URL; `None` when none is set.
    #[serde(default)]
    pub url: Option<String>,
    /// Whether deliveries are on.
    #[serde(default)]
    pub enabled: bool,
    /// Whether a signing secret is set.
    #[serde(default)]
    pub has_secret: bool,
    /// Fields the documentation does not list.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /partner/webhooks`: both webhooks' configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookConfig {
    /// The identification webhook, if the API returned it.
    #[serde(default)]
    pub identification: Option<WebhookEndpoint>,
    /// The billing webhook, if the API returned it.
    #[serde(default)]
    pub billing: Option<WebhookEndpoint>,
    /// Fields the documentation does not list.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WebhookConfig {
    /// The configuration of one kind.
    pub fn get(&self, kind: WebhookKind) -> Option<&WebhookEndpoint> {
        match kind {
            WebhookKind::Identification => self.identification.as_ref(),
            WebhookKind::Billing => self.billing.as_ref(),
        }
    }
}

/// The body of `PUT /partner/webhooks/identification|billing`. Every field is
/// optional: the ones left `None` are not sent, and the API leaves them as
/// they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookUpdate {
    /// The endpoint URL.
    pub url: Option<String>,
    /// The signing secret (redacted in `Debug`).
    pub secret: Option<WebhookSecret>,
    /// Turn deliveries on or off.
    pub enabled: Option<bool>,
}

impl WebhookUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the URL.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Set the secret.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<WebhookSecret>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Turn deliveries on or off.
    #[must_use]
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }

    /// The JSON body. The only place the secret is written out.
    pub(crate) fn to_body(&self) -> Value {
        let mut body = Map::new();
        if let Some(url) = &self.url {
            body.insert("url".into(), Value::String(url.clone()));
        }
        if let Some(secret) = &self.secret {
            body.insert("secret".into(), Value::String(secret.expose().to_owned()));
        }
        if let Some(enabled) = self.enabled {
            body.insert("enabled".into(), Value::Bool(enabled));
        }
        Value::Object(body)
    }
}

/// `POST /partner/webhooks/test`'s answer: `{"success", "message"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Whether the test webhook was sent (and, for the emulator, accepted).
    #[serde(default)]
    pub success: bool,
    /// The API's message.
    #[serde(default)]
    pub message: String,
    /// Fields the documentation does not list.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One delivery attempt in `GET /partner/webhooks/logs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// The log entry's id.
    #[serde(default)]
    pub id: String,
    /// `identification` or `billing` (kept as text: a new type still reads).
    #[serde(default, rename = "type")]
    pub kind: String,
    /// The organization the event belongs to.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The delivery status (`delivered` in the documentation's example).
    #[serde(default)]
    pub status: String,
    /// The receiver's HTTP status; `None` when it gave no answer.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// When the attempt was made (RFC 3339).
    #[serde(default)]
    pub attempted_at: String,
    /// How long the receiver took to answer, in milliseconds.
    #[serde(default)]
    pub response_time_ms: Option<u64>,
    /// Fields the documentation does not list.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of `GET /partner/webhooks/logs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsPage {
    /// The entries on this page.
    #[serde(default)]
    pub logs: Vec<LogEntry>,
    /// How many entries match the filters, over all pages.
    #[serde(default)]
    pub total: u64,
    /// This page's number (the first page is 1).
    #[serde(default)]
    pub page: u32,
    /// The page size the API used.
    #[serde(default)]
    pub page_size: u32,
    /// Fields the documentation does not list.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The filters and page of `GET /partner/webhooks/logs`. Unset fields are not
/// sent, so the API's defaults apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsQuery {
    /// `page`: the page number (the first page is 1).
    pub page: Option<u32>,
    /// `pageSize`: entries per page.
    pub page_size: Option<u32>,
    /// `type`: only this webhook.
    pub kind: Option<WebhookKind>,
    /// `status`: only this delivery status.
    pub status: Option<String>,
    /// `organizationId`: only this organization.
    pub organization_id: Option<String>,
}

impl LogsQuery {
    /// No filter, the API's default page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask for one page.
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Entries per page.
    #[must_use]
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Only this webhook.
    #[must_use]
    pub fn kind(mut self, kind: WebhookKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Only this status.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Only this organization.
    #[must_use]
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.organization_id = Some(organization_id.into());
        self
    }

    /// The query pairs, in the documentation's names and order.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(page) = self.page {
            pairs.push(("page", page.to_string()));
        }
        if let Some(page_size) = self.page_size {
            pairs.push(("pageSize", page_size.to_string()));
        }
        if let Some(kind) = self.kind {
            pairs.push(("type", kind.as_str().to_owned()));
        }
        if let Some(status) = &self.status {
            pairs.push(("status", status.clone()));
        }
        if let Some(organization_id) = &self.organization_id {
            pairs.push(("organizationId", organization_id.clone()));
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented response examples, as the page shows them.
    const CONFIG_EXAMPLE: &str = r#"{
  "identification": {
    "url": "https://example.com/webhooks/identify",
    "enabled": true,
    "hasSecret": true
  },
  "billing": {
    "url": "https://example.com/webhooks/billing",
    "enabled": true,
    "hasSecret": true
  }
}"#;

    const LOGS_EXAMPLE: &str = r#"{
  "logs": [
    {
      "id": "uuid",
      "type": "identification",
      "organizationId": "uuid",
      "status": "delivered",
      "statusCode": 200,
      "attemptedAt": "2025-02-27T10:30:00Z",
      "responseTimeMs": 150
    }
  ],
  "total": 100,
  "page": 1,
  "pageSize": 20
}"#;

    #[test]
    fn documented_config_example_reads() {
        let config: WebhookConfig = serde_json::from_str(CONFIG_EXAMPLE).unwrap();
        let id = config.get(WebhookKind::Identification).unwrap();
        assert_eq!(
            id.url.as_deref(),
            Some("https://example.com/webhooks/identify")
        );
        assert!(id.enabled && id.has_secret);
        assert!(id.extra.is_empty());
        let billing = config.billing.as_ref().unwrap();
        assert_eq!(
            billing.url.as_deref(),
            Some("https://example.com/webhooks/billing")
        );
        assert!(config.extra.is_empty());
    }

    #[test]
    fn documented_logs_example_reads() {
        let page: LogsPage = serde_json::from_str(LOGS_EXAMPLE).unwrap();
        assert_eq!((page.total, page.page, page.page_size), (100, 1, 20));
        let entry = page.logs.first().unwrap();
        assert_eq!(entry.id, "uuid");
        assert_eq!(entry.kind, "identification");
        assert_eq!(entry.organization_id.as_deref(), Some("uuid"));
        assert_eq!(entry.status, "delivered");
        assert_eq!(entry.status_code, Some(200));
        assert_eq!(entry.attempted_at, "2025-02-27T10:30:00Z");
        assert_eq!(entry.response_time_ms, Some(150));
        assert!(entry.extra.is_empty());
    }

    #[test]
    fn unknown_fields_are_kept_and_serialized_back() {
        let body = r#"{"url":null,"enabled":false,"hasSecret":false,"createdAt":"2025-01-01","limits":{"a":1}}"#;
        let endpoint: WebhookEndpoint = serde_json::from_str(body).unwrap();
        assert_eq!(endpoint.url, None);
        assert_eq!(
            endpoint.extra.get("createdAt"),
            Some(&Value::from("2025-01-01"))
        );
        let back: Value = serde_json::to_value(&endpoint).unwrap();
        let original: Value = serde_json::from_str(body).unwrap();
        assert_eq!(back, original);

        let entry: LogEntry =
            serde_json::from_str(r#"{"id":"1","type":"billing","attempt":2,"error":"timeout"}"#)
                .unwrap();
        assert_eq!(entry.kind, "billing");
        assert_eq!(entry.status_code, None);
        assert_eq!(entry.extra.get("attempt"), Some(&Value::from(2)));
    }

    #[test]
    fn the_documented_test_answer_reads() {
        let result: TestResult = serde_json::from_str(
            r#"{"success": true, "message": "Test webhook sent successfully"}"#,
        )
        .unwrap();
        assert!(result.success);
        assert_eq!(result.message, "Test webhook sent successfully");
    }

    #[test]
    fn update_body_sends_only_what_is_set() {
        assert_eq!(WebhookUpdate::new().to_body(), serde_json::json!({}));
        let update = WebhookUpdate::new()
            .url("https://example.com/webhooks/identify")
            .secret("whsec_your_webhook_secret")
            .enabled(true);
        // The documented request body, field for field.
        assert_eq!(
            update.to_body(),
            serde_json::json!({
                "url": "https://example.com/webhooks/identify",
                "secret": "whsec_your_webhook_secret",
                "enabled": true
            })
        );
        let printed = format!("{update:?}");
        assert!(!printed.contains("whsec_your"), "{printed}");
    }

    #[test]
    fn query_pairs_use_the_documented_names() {
        let query = LogsQuery::new()
            .page(2)
            .page_size(50)
            .kind(WebhookKind::Billing)
            .status("failed")
            .organization_id("org-1");
        assert_eq!(
            query.pairs(),
            vec![
                ("page", "2".to_owned()),
                ("pageSize", "50".to_owned()),
                ("type", "billing".to_owned()),
                ("status", "failed".to_owned()),
                ("organizationId", "org-1".to_owned()),
            ]
        );
        assert!(LogsQuery::new().pairs().is_empty());
    }

    #[test]
    fn kinds_parse_and_print() {
        for kind in WebhookKind::ALL {
            assert_eq!(kind.as_str().parse::<WebhookKind>().unwrap(), kind);
        }
        assert!("refund".parse::<WebhookKind>().is_err());
    }
}
