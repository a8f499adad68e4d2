//! The field table: each record's documented fields as data (key, JSON
//! type, Rust kind, one doc line), which `record!` emits beside the record.
//! The bindings' typed surfaces (Python stubs, TypeScript declarations) are
//! generated from it (`make generate`), so a field is written once.

use serde_json::{Map, Value};

use super::mismatch::JsonType;
use crate::text::{Str, Text};

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

/// How a record stores a field of a documented type, and what its accessor
/// returns: a string is stored as a [`Text`] (a range of the record's body)
/// and read as `&str`; the other types are stored as they are read.
#[doc(hidden)]
pub trait Access {
    /// What the record stores (inside an `Option`).
    type Slot;
    /// What the accessor returns (inside an `Option`).
    type Out<'a>
    where
        Self: 'a;
    /// The value of `slot`, whose record's body is `body`.
    fn get<'a>(slot: &'a Self::Slot, body: &'a str) -> Self::Out<'a>;
}

impl Access for Str {
    type Slot = Text;
    type Out<'a> = &'a str;
    #[inline]
    fn get<'a>(slot: &'a Text, body: &'a str) -> &'a str {
        slot.resolve(body)
    }
}

impl Access for i64 {
    type Slot = i64;
    type Out<'a> = i64;
    #[inline]
    fn get<'a>(slot: &'a i64, _: &'a str) -> i64 {
        *slot
    }
}

impl Access for bool {
    type Slot = bool;
    type Out<'a> = bool;
    #[inline]
    fn get<'a>(slot: &'a bool, _: &'a str) -> bool {
        *slot
    }
}

impl Access for Map<String, Value> {
    type Slot = Self;
    type Out<'a> = &'a Self;
    #[inline]
    fn get<'a>(slot: &'a Self, _: &'a str) -> &'a Self {
        slot
    }
}

impl Access for Value {
    type Slot = Self;
    type Out<'a> = &'a Self;
    #[inline]
    fn get<'a>(slot: &'a Self, _: &'a str) -> &'a Self {
        slot
    }
}

impl<R: Access<Slot = R> + 'static> Access for Vec<Option<R>> {
    type Slot = Self;
    type Out<'a> = &'a [Option<R>];
    #[inline]
    fn get<'a>(slot: &'a Self, _: &'a str) -> &'a [Option<R>] {
        slot
    }
}

/// A record's fields as stored, for a binding that takes a nested record
/// out of its parent rather than copy it (Python builds each nested record's
/// object once). `record!` gives it one method a field.
#[doc(hidden)]
pub struct Slots<'a, R>(pub(crate) &'a mut R);
