#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The modules read as one chain: the scanner, the schema and its reader,
// events and visits, then the API around them.
mod scan;
#[macro_use]
mod schema;
pub mod delivery;
mod error;
mod event;
mod json;
mod signature;
mod text;
mod time;
mod visit;
// A second sender, on the same reader and events.
mod bitnob;
// New webhook secrets, from the OS's random source (not on wasm32).
#[cfg(not(target_arch = "wasm32"))]
mod secret;

pub use bitnob::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobWebhook,
    DEFAULT_BITNOB_TOLERANCE, secret_last4, sign_bitnob, sign_bitnob_legacy,
};
pub use error::{ERROR_CODES, ERROR_HTTP_STATUSES, Error};
pub use event::{CheckedEvent, Event, GenericEvent, VISITOR_IDENTIFIED};
pub use json::MAX_JSON_DEPTH;
pub use schema::{
    Company, JsonType, Mismatch, PageView, Session, Visit, VisitCompany, VisitVisitor, Visitor,
    VisitorIdentified, mismatches_json,
};
#[cfg(not(target_arch = "wasm32"))]
pub use secret::{GENERATED_SECRET_LEN, SECRET_PREFIX, SECRET_RANDOM_BYTES, generate_secret};
pub use signature::{DEFAULT_MAX_BODY_BYTES, SIGNATURE_HEADER, Webhook, find_header, sign};
pub use text::Str;
pub use visit::{
    CheckedVisit, VISIT_SIGNATURE_HEADER, check_visit, parse_visit, parse_visit_strict,
};
