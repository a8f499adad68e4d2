#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The modules read as one chain, each using only those above it (a test,
// tests/module_order.rs, holds that): the leaves, the scanner and the JSON
// helpers, the schema and its reader, events and visits, the verifiers'
// shared parts, Bitnob, then the Bullseye verifier.
pub mod delivery;
// The Redis Streams hand-off's layout and scripts (a leaf).
mod error;
mod hex;
pub mod queue;
mod text;
mod time;
// New webhook secrets, from the OS's random source (not on wasm32).
mod event;
mod json;
mod scan;
mod schema;
#[cfg(not(target_arch = "wasm32"))]
mod secret;
mod verifier;
mod visit;
// A second sender, on the same reader and events.
mod bitnob;
mod webhook;
// The queue envelope, on the verifiers.
mod envelope;
// `http::HeaderMap` adapters, after everything they call.
#[cfg(feature = "http")]
mod http_headers;

pub use bitnob::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobMacInput,
    BitnobWebhook, DEFAULT_BITNOB_TOLERANCE, secret_last4, sign_bitnob, sign_bitnob_legacy,
};
pub use envelope::{
    ENVELOPE_VERSION, Envelope, EnvelopeError, EnvelopeScheme, INVALID_ENVELOPE, OpenError,
};
pub use error::{ERROR_CODES, ERROR_HTTP_STATUSES, Error};
pub use event::{CheckedEvent, Event, GenericEvent, VISITOR_IDENTIFIED};
pub use scan::MAX_JSON_DEPTH;
// The scanner alone, for the bench's throughput figure.
#[doc(hidden)]
pub use scan::is_json;
pub use schema::{
    Company, JsonType, Mismatch, PageView, Session, Visit, VisitCompany, VisitVisitor, Visitor,
    VisitorIdentified, mismatches_json,
};
// The field table, for the generator of the bindings' typed surfaces.
#[cfg(feature = "http")]
pub use http_headers::header_pairs;
#[doc(hidden)]
pub use schema::{Field, FieldKind, PAYLOAD_TABLES, RecordTable};
// How records store and return their fields, for the bindings' classes.
#[doc(hidden)]
pub use schema::{Access, Slots};
#[cfg(not(target_arch = "wasm32"))]
pub use secret::{GENERATED_SECRET_LEN, SECRET_PREFIX, SECRET_RANDOM_BYTES, generate_secret};
pub use text::Str;
#[doc(hidden)]
pub use text::Text;
pub use verifier::DEFAULT_MAX_BODY_BYTES;
pub use visit::{
    CheckedVisit, VISIT_SIGNATURE_HEADER, check_visit, parse_visit, parse_visit_strict,
};
pub use webhook::{SIGNATURE_HEADER, Webhook, find_header, sign};

// The root README's Rust snippets, compiled and run as doctests.
#[cfg(all(doctest, feature = "http"))]
#[doc = include_str!("../../README.md")]
mod root_readme {}
