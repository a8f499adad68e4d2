#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod client;
mod error;
mod models;
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
