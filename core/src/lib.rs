#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod check;
mod error;
mod event;
mod fields;
mod json;
mod scan;
mod signature;
mod time;
mod visit;

pub use check::{identified_ids, parse_visit_json};
pub use error::{ERROR_CODES, ERROR_HTTP_STATUSES, Error};
pub use event::{
    Company, Event, GenericEvent, PageView, Session, VISITOR_IDENTIFIED, Visitor, VisitorIdentified,
};
pub use json::MAX_JSON_DEPTH;
pub use signature::{DEFAULT_MAX_BODY_BYTES, SIGNATURE_HEADER, Webhook, find_header, sign};
pub use visit::{VISIT_SIGNATURE_HEADER, Visit, VisitCompany, VisitVisitor, parse_visit};
