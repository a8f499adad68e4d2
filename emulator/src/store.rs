//! Configuration, deliveries and attempt logs in SQLite (a file, or memory).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use crate::clock::{rfc3339_ms, uuid_v4};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    type TEXT PRIMARY KEY,
    url TEXT,
    secret TEXT,
    enabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    organization_id TEXT,
    event_type TEXT,
    url TEXT NOT NULL,
    secret TEXT,
    body BLOB NOT NULL,
    test INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    delivery_id TEXT NOT NULL,
    type TEXT NOT NULL,
    organization_id TEXT,
    event_type TEXT,
    url TEXT NOT NULL,
    test INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_code INTEGER,
    attempted_ms INTEGER NOT NULL,
    response_time_ms INTEGER NOT NULL,
    error TEXT,
    response_body TEXT,
    next_retry_ms INTEGER
);
CREATE INDEX IF NOT EXISTS attempts_by_time ON attempts (attempted_ms DESC, seq DESC);
";

/// A store error, as text (SQLite's own message; no secret is ever in a query
/// text, they travel as bound parameters).
pub(crate) type StoreResult<T> = Result<T, String>;

fn sql(error: rusqlite::Error) -> String {
    format!("sqlite: {error}")
}

/// One webhook's stored configuration.
#[derive(Clone, Default)]
pub(crate) struct WebhookRow {
    pub(crate) url: Option<String>,
    pub(crate) secret: Option<String>,
    pub(crate) enabled: bool,
}

impl WebhookRow {
    /// The documented answer: `{url, enabled, hasSecret}`, never the secret.
    pub(crate) fn public(&self) -> Value {
        json!({
            "url": self.url,
            "enabled": self.enabled,
            "hasSecret": self.secret.is_some(),
        })
    }
}

/// A delivery waiting for its next attempt (or its first).
pub(crate) struct Delivery {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) organization_id: Option<String>,
    pub(crate) event_type: Option<String>,
    pub(crate) url: String,
    pub(crate) secret: Option<String>,
    pub(crate) body: Vec<u8>,
    pub(crate) test: bool,
    pub(crate) attempts: u32,
    pub(crate) next_attempt_ms: Option<i64>,
}

/// One finished attempt, to be logged.
pub(crate) struct Attempt {
    pub(crate) attempt: u32,
    pub(crate) status_code: Option<u16>,
    pub(crate) attempted_ms: i64,
    pub(crate) response_time_ms: i64,
    pub(crate) error: Option<String>,
    pub(crate) response_body: Option<String>,
    pub(crate) next_retry_ms: Option<i64>,
}

impl Attempt {
    pub(crate) fn delivered(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }

    /// The log's `status`: `delivered` (a 2xx answer) or `failed`.
    pub(crate) fn status(&self) -> &'static str {
        if self.delivered() {
            STATUS_DELIVERED
        } else {
            STATUS_FAILED
        }
    }
}

/// An attempt the receiver answered with a 2xx.
pub(crate) const STATUS_DELIVERED: &str = "delivered";
/// An attempt without a 2xx answer (another status, a timeout, no connection).
pub(crate) const STATUS_FAILED: &str = "failed";

/// The logs endpoint's filters and page.
pub(crate) struct LogFilter {
    pub(crate) kind: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) organization_id: Option<String>,
    pub(crate) page: u32,
    pub(crate) page_size: u32,
}

pub(crate) struct Store {
    conn: Connection,
}

impl Store {
    /// Open (creating if needed) the database at `path`, or in memory.
    pub(crate) fn open(path: Option<&Path>) -> StoreResult<Self> {
        let conn = match path {
            Some(path) => Connection::open(path).map_err(sql)?,
            None => Connection::open_in_memory().map_err(sql)?,
        };
        if path.is_some() {
            // WAL: a reader never waits for a writer; the file survives a kill.
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .map_err(sql)?;
        }
        conn.execute_batch(SCHEMA).map_err(sql)?;
        Ok(Self { conn })
    }

    /// The emulated organization's id: `preferred` if given (and stored), else
    /// the stored one, else a new random one (stored).
    pub(crate) fn organization_id(&self, preferred: Option<&str>) -> StoreResult<String> {
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'organization_id'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql)?;
        let id = match (preferred, stored) {
            (Some(preferred), _) => preferred.to_owned(),
            (None, Some(stored)) => return Ok(stored),
            (None, None) => uuid_v4().map_err(|e| e.to_string())?,
        };
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('organization_id', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![id],
            )
            .map_err(sql)?;
        Ok(id)
    }

    pub(crate) fn webhook(&self, kind: &str) -> StoreResult<WebhookRow> {
        self.conn
            .query_row(
                "SELECT url, secret, enabled FROM webhooks WHERE type = ?1",
                params![kind],
                |row| {
                    Ok(WebhookRow {
                        url: row.get(0)?,
                        secret: row.get(1)?,
                        enabled: row.get(2)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(sql)
    }

    pub(crate) fn set_webhook(&self, kind: &str, row: &WebhookRow) -> StoreResult<()> {
        self.conn
            .execute(
                "INSERT INTO webhooks (type, url, secret, enabled) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (type) DO UPDATE SET
                     url = excluded.url, secret = excluded.secret, enabled = excluded.enabled",
                params![kind, row.url, row.secret, row.enabled],
            )
            .map(|_| ())
            .map_err(sql)
    }

    pub(crate) fn insert_delivery(&self, d: &Delivery, created_ms: i64) -> StoreResult<()> {
        self.conn
            .execute(
                "INSERT INTO deliveries (id, type, organization_id, event_type, url, secret, body,
                                         test, attempts, next_attempt_ms, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    d.id,
                    d.kind,
                    d.organization_id,
                    d.event_type,
                    d.url,
                    d.secret,
                    d.body,
                    d.test,
                    d.attempts,
                    d.next_attempt_ms,
                    created_ms
                ],
            )
            .map(|_| ())
            .map_err(sql)
    }

    fn delivery_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
        Ok(Delivery {
            id: row.get(0)?,
            kind: row.get(1)?,
            organization_id: row.get(2)?,
            event_type: row.get(3)?,
            url: row.get(4)?,
            secret: row.get(5)?,
            body: row.get(6)?,
            test: row.get(7)?,
            attempts: row.get(8)?,
            next_attempt_ms: row.get(9)?,
        })
    }

    const DELIVERY_COLUMNS: &str = "id, type, organization_id, event_type, url, secret, body, \
                                    test, attempts, next_attempt_ms";

    pub(crate) fn delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM deliveries WHERE id = ?1",
                    Self::DELIVERY_COLUMNS
                ),
                params![id],
                Self::delivery_from_row,
            )
            .optional()
            .map_err(sql)
    }

    /// Deliveries with an attempt still to make (to resume after a restart).
    pub(crate) fn pending_deliveries(&self) -> StoreResult<Vec<Delivery>> {
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM deliveries WHERE next_attempt_ms IS NOT NULL
                 ORDER BY next_attempt_ms",
                Self::DELIVERY_COLUMNS
            ))
            .map_err(sql)?;
        let rows = statement
            .query_map([], Self::delivery_from_row)
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// Log one attempt and move the delivery on, in one transaction.
    pub(crate) fn record_attempt(&mut self, d: &Delivery, a: &Attempt) -> StoreResult<String> {
        let id = uuid_v4().map_err(|e| e.to_string())?;
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO attempts (id, delivery_id, type, organization_id, event_type, url, test,
                                   attempt, status, status_code, attempted_ms, response_time_ms,
                                   error, response_body, next_retry_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                id,
                d.id,
                d.kind,
                d.organization_id,
                d.event_type,
                d.url,
                d.test,
                a.attempt,
                a.status(),
                a.status_code,
                a.attempted_ms,
                a.response_time_ms,
                a.error,
                a.response_body,
                a.next_retry_ms
            ],
        )
        .map_err(sql)?;
        tx.execute(
            "UPDATE deliveries SET attempts = ?2, next_attempt_ms = ?3 WHERE id = ?1",
            params![d.id, a.attempt, a.next_retry_ms],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(id)
    }

    /// One page of attempts, newest first, and how many match in all.
    pub(crate) fn logs(&self, filter: &LogFilter) -> StoreResult<(Vec<Value>, u64)> {
        let mut clauses = Vec::new();
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::new();
        if let Some(kind) = &filter.kind {
            clauses.push("type = ?");
            values.push(kind);
        }
        if let Some(status) = &filter.status {
            clauses.push("status = ?");
            values.push(status);
        }
        if let Some(organization_id) = &filter.organization_id {
            clauses.push("organization_id = ?");
            values.push(organization_id);
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let total: i64 = self
            .conn
            .query_row(
                &format!("SELECT COUNT(*) FROM attempts {filter_sql}"),
                values.as_slice(),
                |row| row.get(0),
            )
            .map_err(sql)?;
        let limit = i64::from(filter.page_size);
        let offset = i64::from(filter.page.saturating_sub(1)) * limit;
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT id, type, organization_id, status, status_code, attempted_ms,
                        response_time_ms, delivery_id, attempt, event_type, url, test, error,
                        next_retry_ms, response_body
                 FROM attempts {filter_sql}
                 ORDER BY attempted_ms DESC, seq DESC LIMIT {limit} OFFSET {offset}"
            ))
            .map_err(sql)?;
        let rows = statement
            .query_map(values.as_slice(), |row| {
                let mut entry = Map::new();
                entry.insert("id".into(), Value::String(row.get(0)?));
                entry.insert("type".into(), Value::String(row.get(1)?));
                entry.insert(
                    "organizationId".into(),
                    json!(row.get::<_, Option<String>>(2)?),
                );
                entry.insert("status".into(), Value::String(row.get(3)?));
                entry.insert("statusCode".into(), json!(row.get::<_, Option<i64>>(4)?));
                entry.insert("attemptedAt".into(), Value::String(rfc3339_ms(row.get(5)?)));
                entry.insert("responseTimeMs".into(), json!(row.get::<_, i64>(6)?));
                // Fields of our own (the documentation lists the ones above).
                entry.insert("deliveryId".into(), Value::String(row.get(7)?));
                entry.insert("attempt".into(), json!(row.get::<_, i64>(8)?));
                entry.insert("eventType".into(), json!(row.get::<_, Option<String>>(9)?));
                entry.insert("url".into(), Value::String(row.get(10)?));
                entry.insert("test".into(), Value::Bool(row.get(11)?));
                entry.insert("error".into(), json!(row.get::<_, Option<String>>(12)?));
                entry.insert(
                    "nextRetryAt".into(),
                    json!(row.get::<_, Option<i64>>(13)?.map(rfc3339_ms)),
                );
                entry.insert(
                    "responseBody".into(),
                    json!(row.get::<_, Option<String>>(14)?),
                );
                Ok(Value::Object(entry))
            })
            .map_err(sql)?;
        let logs = rows.collect::<Result<Vec<_>, _>>().map_err(sql)?;
        Ok((logs, u64::try_from(total).unwrap_or(0)))
    }
}
