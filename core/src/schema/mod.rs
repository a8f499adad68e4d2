//! The schema: every documented record, declared once, and the reader that
//! fills them in one pass of the [scanner](crate::scan).
//!
//! A record is declared with `record!`, one line a field: its key and its
//! Rust type, which is also its documented JSON type ([`read::Read`]). The reader
//! decides everything about a body: whether it is JSON (every byte is
//! checked, unknown fields included), each documented field's typed value,
//! and every [`Mismatch`], in document order. Beside each record, `record!`
//! emits its field table ([`RecordTable`]), from which the bindings' typed
//! surfaces are generated.
//!
//! A documented field of another JSON type never fails the read: the typed
//! view holds the value converted without loss (`"150"` for an integer,
//! `42` for a string, `"true"` for a boolean), or `None`, and the field is
//! reported as a mismatch carrying the value as sent. A repeated key counts
//! by its last occurrence, as `JSON.parse` and serde_json read it.
//!
//! The reader runs in two modes, chosen at compile time: `BUILD` fills the
//! typed records, and without it only the mismatches (and the few values a
//! check needs) are found, with no string copied on the common path. The
//! bindings that build their own objects (JavaScript's `JSON.parse`) use the
//! second, and the WASM build links no serde_json parser.

// From the bottom up: mismatch (the JSON types and mismatches), typing (the
// visit typing rule), reader (one pass of the scanner), read (how each Rust
// type reads), table (the field table), record (the macro), then records
// (every record, declared once).
mod mismatch;
pub(crate) mod read;
pub(crate) mod reader;
pub(crate) mod table;
mod typing;
#[macro_use]
pub(crate) mod record;
mod records;

pub(crate) use mismatch::refuse_if_strict;
pub use mismatch::{JsonType, Mismatch, mismatches_json};
pub(crate) use reader::Reader;
pub use records::{
    Company, PAYLOAD_TABLES, PageView, Session, Visit, VisitCompany, VisitVisitor, Visitor,
    VisitorIdentified,
};
pub use table::{Access, Field, FieldKind, RecordTable, Slots};
