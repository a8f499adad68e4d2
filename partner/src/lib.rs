#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod client;
mod error;
mod models;
mod policy;
mod secret;

pub use client::{
    API_KEY_ENV, API_KEY_HEADER, DEFAULT_BASE_URL, LogsIter, PartnerClient, PartnerClientBuilder,
};
pub use error::{ErrorKind, PartnerApiError};
pub use models::{
    LogEntry, LogsPage, LogsQuery, TestResult, WebhookConfig, WebhookEndpoint, WebhookKind,
    WebhookUpdate,
};
pub use secret::{SECRET_PREFIX, SECRET_RANDOM_BYTES, WebhookSecret, generate_secret};

/// The client's edge rules, public only for the shared behaviour tests
/// (`fixtures/partner-behaviour.json`); not part of the API.
#[doc(hidden)]
pub mod internal {
    pub use crate::policy::{
        MAX_MESSAGE_CHARS, MAX_RESPONSE_BYTES, RetryPolicy, backoff_bounds, retry_after_delay,
        scrub, server_message, truncate_message,
    };
}
