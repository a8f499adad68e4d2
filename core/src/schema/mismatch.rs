//! The JSON types and the mismatches the reader reports.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::error::Error;
use crate::json::parse_value;
use crate::scan::Number;

/// A JSON type, as a [`Mismatch`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonType {
    /// A string.
    String,
    /// A number with no fraction and no exponent that fits an `i64`.
    Integer,
    /// Any other number (`1.0`, `1e2`, `-0`, `9223372036854775808`).
    Number,
    /// `true` or `false`.
    Boolean,
    /// An object.
    Object,
    /// An array.
    Array,
}

impl JsonType {
    /// The name every language reports: `string`, `integer`, `number`,
    /// `boolean`, `object` or `array`.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
        }
    }

    /// The type in words, for messages.
    fn described(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::Boolean => "a boolean",
            JsonType::Object => "an object",
            JsonType::Array => "an array",
        }
    }

    /// The type of a number literal as the scanner read it.
    pub(super) fn of_number(number: Number) -> Self {
        match number {
            Number::Integer(n) if i64::try_from(n).is_ok() => JsonType::Integer,
            _ => JsonType::Number,
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JsonType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A documented field whose value is not of its documented JSON type.
///
/// The delivery is still accepted (unless the [`Webhook`](crate::Webhook) is
/// strict): the typed view holds the value converted without loss, or
/// `None`, and this keeps the value as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub(super) path: String,
    pub(super) expected: JsonType,
    pub(super) found: JsonType,
    pub(super) value_json: Box<str>,
    pub(super) typed_json: Cow<'static, str>,
    /// Where the value starts in the body (to forget an overridden key).
    pub(super) at: usize,
}

impl Mismatch {
    /// Where the field is: dotted keys with list indexes, `company.size`,
    /// `page_views.3.url`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The documented type.
    pub fn expected(&self) -> JsonType {
        self.expected
    }

    /// The type sent.
    pub fn found(&self) -> JsonType {
        self.found
    }

    /// The value as sent, as JSON text (exactly the body's bytes).
    pub fn value_json(&self) -> &str {
        &self.value_json
    }

    /// The value as sent.
    pub fn value(&self) -> Value {
        parse_value(&self.value_json)
    }

    /// What the typed view holds instead, as JSON: the converted value
    /// (`150`, `"42"`, `true`) or `null`.
    pub fn typed_json(&self) -> &str {
        &self.typed_json
    }

    /// The `invalid_payload` a strict reader answers with. Names the path
    /// and both types, never the value (it may be personal data).
    pub(crate) fn error(&self) -> Error {
        Error::InvalidPayload(format!(
            "`{}` must be {}, but it is {}",
            self.path,
            self.expected.described(),
            self.found.described()
        ))
    }
}

/// Serializes as `{path, expected, found, value}`.
impl Serialize for Mismatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("expected", &self.expected)?;
        map.serialize_entry("found", &self.found)?;
        map.serialize_entry("value", &self.value())?;
        map.end()
    }
}

/// With `strict`, the first mismatch refuses the payload.
pub(crate) fn refuse_if_strict(strict: bool, mismatches: &[Mismatch]) -> Result<(), Error> {
    match (strict, mismatches.first()) {
        (true, Some(first)) => Err(first.error()),
        _ => Ok(()),
    }
}

/// The mismatches as a JSON array of `[path, expected, found, typed]`, for
/// bindings that `JSON.parse` the body themselves and write each typed
/// value at its path. Empty text when there are none.
pub fn mismatches_json(mismatches: &[Mismatch]) -> String {
    if mismatches.is_empty() {
        return String::new();
    }
    let mut out = String::from("[");
    for (i, m) in mismatches.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Paths are documented keys and indexes: nothing to escape.
        let _ = write!(
            out,
            "[\"{}\",\"{}\",\"{}\",{}]",
            m.path, m.expected, m.found, m.typed_json
        );
    }
    out.push(']');
    out
}
