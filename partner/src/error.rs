//! The one error type of the client.

use std::fmt;
use std::time::Duration;

/// What went wrong, so a caller can tell "the API said no" from "no answer".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with a non-2xx status (after any retries).
    Status,
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    Transport,
    /// A 2xx answer whose body is not the documented JSON shape.
    Decode,
    /// The client was given something unusable (empty API key, bad base URL).
    Config,
}

impl ErrorKind {
    /// A stable snake_case name for the kind.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Status => "api_status",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Config => "config",
        }
    }
}

/// A failed partner-API call: the HTTP status (when the API answered) and the
/// server's message (its JSON `message` or `error`, else the start of its body).
///
/// Never contains the API key: every message is scrubbed of it before it is
/// stored, and the request's headers are never part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerApiError {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
    retry_after: Option<Duration>,
}

impl PartnerApiError {
    pub(crate) fn new(kind: ErrorKind, status: Option<u16>, message: impl Into<String>) -> Self {
        Self {
            kind,
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Replace every occurrence of each of `secrets` in the message (a
    /// server or a transport error that echoes one back).
    pub(crate) fn scrubbed(mut self, secrets: &[&str]) -> Self {
        self.message = crate::policy::scrub(&self.message, secrets);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status the API answered with; `None` when there was no answer.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The server's message (or a description of the transport failure).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `Retry-After` the last answer carried, in seconds form, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// True for 401 and 403: a missing, wrong or revoked API key.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.status, Some(401 | 403))
    }
}

impl fmt::Display for PartnerApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(
                f,
                "partner API answered {status}: {}",
                if self.message.is_empty() {
                    "(no message)"
                } else {
                    &self.message
                }
            ),
            None => write!(f, "partner API {}: {}", self.kind.code(), self.message),
        }
    }
}

impl std::error::Error for PartnerApiError {}
