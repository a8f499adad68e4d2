//! The field table: each record's documented fields as data (key, JSON
//! type, Rust kind, one doc line), which `record!` emits beside the record.
//! The bindings' typed surfaces (Python stubs, TypeScript declarations) are
//! generated from it (`make generate`), so a field is written once.

use serde_json::{Map, Value};

use super::mismatch::JsonType;
use crate::text::Str;

/// One record: its name in Rust, its class or interface name in the other
/// languages, and its documented fields in declaration order.
#[derive(Debug)]
#[non_exhaustive]
pub struct RecordTable {
    /// The Rust type's name (`VisitorIdentified`).
    pub name: &'static str,
    /// The name the bindings give its class (`VisitorIdentifiedEvent`).
    pub api_name: &'static str,
    /// The record's first doc line.
    pub doc: &'static str,
    /// Whether it is a whole payload (it has members beside its fields:
    /// its type, the raw object, the mismatches).
    pub payload: bool,
    /// The documented fields.
    pub fields: &'static [Field],
}

/// One documented field.
#[derive(Debug)]
#[non_exhaustive]
pub struct Field {
    /// The Rust (and Python) name (`traffic_source`).
    pub name: &'static str,
    /// The payload's key (`trafficSource`).
    pub key: &'static str,
    /// The documented JSON type.
    pub json_type: JsonType,
    /// What the typed view holds.
    pub kind: FieldKind,
    /// One line saying what it is.
    pub doc: &'static str,
}

/// What a field's typed view holds (always optional: absent or `null`
/// reads as none).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FieldKind {
    /// Text.
    String,
    /// A 64-bit integer.
    Integer,
    /// A boolean.
    Boolean,
    /// An object of any content.
    Object,
    /// A nested record.
    Record(&'static RecordTable),
    /// A list of records, where an item may be `null`.
    RecordList(&'static RecordTable),
}

/// The kind and documented JSON type of a field's Rust type.
pub(crate) trait FieldType {
    const KIND: FieldKind;
    const JSON_TYPE: JsonType;
}

impl FieldType for Str {
    const KIND: FieldKind = FieldKind::String;
    const JSON_TYPE: JsonType = JsonType::String;
}

impl FieldType for i64 {
    const KIND: FieldKind = FieldKind::Integer;
    const JSON_TYPE: JsonType = JsonType::Integer;
}

impl FieldType for bool {
    const KIND: FieldKind = FieldKind::Boolean;
    const JSON_TYPE: JsonType = JsonType::Boolean;
}

impl FieldType for Map<String, Value> {
    const KIND: FieldKind = FieldKind::Object;
    const JSON_TYPE: JsonType = JsonType::Object;
}

/// A descriptive object (any content, its strings typed).
impl FieldType for Value {
    const KIND: FieldKind = FieldKind::Object;
    const JSON_TYPE: JsonType = JsonType::Object;
}

/// A record's own table, for the kind of a field that holds it.
pub(crate) trait Record {
    const TABLE: &'static RecordTable;
}

impl<R: Record> FieldType for Vec<Option<R>> {
    const KIND: FieldKind = FieldKind::RecordList(R::TABLE);
    const JSON_TYPE: JsonType = JsonType::Array;
}
