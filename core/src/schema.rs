//! The schema: every documented record, declared once, and the reader that
//! fills them in one pass of the [scanner](crate::scan).
//!
//! A record is declared with `record!`, one line a field: its key and its
//! Rust type, which is also its documented JSON type ([`Read`]). The reader
//! decides everything about a body: whether it is JSON (every byte is
//! checked, unknown fields included), each documented field's typed value,
//! and every [`Mismatch`], in document order.
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

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use std::sync::Arc;

use crate::Error;
use crate::json::{RawObject, check_depth, not_an_object, not_json};
use crate::scan::{Invalid, Kind, Number, Scanner, Text};
use crate::text::Str;

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
    fn of_number(number: Number) -> Self {
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
    path: String,
    expected: JsonType,
    found: JsonType,
    value_json: Box<str>,
    typed_json: Cow<'static, str>,
    /// Where the value starts in the body (to forget an overridden key).
    at: usize,
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

/// Any JSON text the scanner accepted, as a serde_json value (what a user
/// asks for when they ask for any-JSON). The scanner bounded its depth, so
/// serde_json's own recursion limit need not apply.
pub(crate) fn parse_value(text: &str) -> Value {
    use serde::Deserialize;
    let mut parser = serde_json::Deserializer::from_str(text);
    parser.disable_recursion_limit();
    // Unreachable fallback: the text was accepted by the scanner, which
    // accepts exactly what serde_json does (tests and fuzzing hold that).
    Value::deserialize(&mut parser).unwrap_or(Value::Null)
}

/// [`parse_value`] for an object's text.
pub(crate) fn parse_map(text: &str) -> Map<String, Value> {
    match parse_value(text) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One step of the path to the value being read.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// A documented key.
    Name(&'static str),
    /// Any other key (inside a descriptive object), as sent.
    Key(Text),
    /// A list index.
    Index(usize),
}

/// Where the value of a field's last occurrence lies, to forget what an
/// earlier occurrence reported.
pub(crate) type Span = Option<(usize, usize)>;

/// One pass over a body: the scanner, the path to the cursor, and what was
/// found on the way.
pub(crate) struct Reader<'t> {
    scanner: Scanner<'t>,
    text: &'t str,
    /// How many arrays and objects are around the cursor.
    depth: usize,
    path: Vec<Step>,
    mismatches: Vec<Mismatch>,
    /// For bindings that type descriptive values themselves: each string
    /// typed by the visit rule, as `[[steps...], typed, "as sent"]`.
    typings: Option<String>,
    /// The text as the typed view shares it, when it is built: its strings
    /// are views into it.
    source: Option<Arc<str>>,
}

impl<'t> Reader<'t> {
    /// A reader of `text`; with `source` (the same text, shared), the
    /// strings it builds are views into it.
    pub(crate) fn new(text: &'t str, source: Option<&Arc<str>>) -> Self {
        Self {
            scanner: Scanner::new(text),
            text,
            depth: 0,
            path: Vec::new(),
            mismatches: Vec::new(),
            typings: None,
            source: source.cloned(),
        }
    }

    /// Also list the typings of descriptive values (see [`Reader::typings`]).
    pub(crate) fn with_typings(mut self) -> Self {
        self.typings = Some(String::new());
        self
    }

    pub(crate) fn into_parts(self) -> (Vec<Mismatch>, Option<String>) {
        let typings = self.typings.map(|list| format!("[{list}]"));
        (self.mismatches, typings)
    }

    /// The root object, read by `read`, with the contract's body checks:
    /// depth, JSON, an object, nothing after it.
    pub(crate) fn root<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Invalid>,
    ) -> Result<T, Error> {
        let scanned = match self.scanner.kind() {
            Ok(Kind::Object) => read(self).map(Ok),
            _ => self.scanner.value(0).map(Err),
        }
        .and_then(|read| self.scanner.end().map(|()| read));
        match scanned {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(kind)) => Err(not_an_object(kind.described())),
            // The depth limit is reported before syntax, measured on the
            // whole text once the scan failed (the scanner also refuses a
            // 129th level, so a text it accepts is within the limit).
            Err(Invalid(offset)) => Err(check_depth(self.text)
                .err()
                .unwrap_or_else(|| not_json(self.text, offset))),
        }
    }

    /// At `{`: each member's key, decoded, is passed to `member`, which
    /// must consume its value.
    pub(crate) fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, &str) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        // The WASM build is size-first: one loop serves every record there.
        #[cfg(target_arch = "wasm32")]
        let member: &mut dyn FnMut(&mut Self, &str) -> Result<(), Invalid> = &mut member;
        #[cfg(not(target_arch = "wasm32"))]
        let member = &mut member;
        self.member_loop(member)
    }

    fn member_loop<F>(&mut self, member: &mut F) -> Result<(), Invalid>
    where
        F: FnMut(&mut Self, &str) -> Result<(), Invalid> + ?Sized,
    {
        let mut more = self.scanner.enter(self.depth, b'{', b'}')?;
        self.depth += 1;
        while more {
            let key = self.scanner.key()?;
            member(self, &key.decoded(self.text))?;
            more = self.scanner.after(b'}')?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// At `[`: each element is passed to `element` with its index, as the
    /// last step of the path; `element` must consume it.
    fn elements(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        let mut more = self.scanner.enter(self.depth, b'[', b']')?;
        self.depth += 1;
        let mut index = 0;
        while more {
            self.path.push(Step::Index(index));
            element(self)?;
            self.path.pop();
            index += 1;
            more = self.scanner.after(b']')?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// Check and pass the value at the cursor.
    pub(crate) fn skip(&mut self) -> Result<(), Invalid> {
        self.scanner.value(self.depth).map(drop)
    }

    /// A type key's value: a non-empty string, or `None` for anything else
    /// (the type rule, not a documented field: never a mismatch).
    pub(crate) fn type_name(&mut self) -> Result<Option<String>, Invalid> {
        if self.scanner.kind()? != Kind::String {
            self.skip()?;
            return Ok(None);
        }
        let name = self.scanner.string()?.decoded(self.text);
        Ok((!name.is_empty()).then(|| name.into_owned()))
    }

    /// The value of documented field `name` into `slot` (none when the
    /// record is only checked), as `T` reads it.
    pub(crate) fn field<T: Read, const BUILD: bool>(
        &mut self,
        name: &'static str,
        slot: Option<&mut Option<T::Output>>,
        span: &mut Span,
    ) -> Result<(), Invalid> {
        let kind = self.scanner.kind()?;
        let start = self.scanner.pos();
        if let Some((from, to)) = span.take() {
            self.forget(from, to);
        }
        self.path.push(Step::Name(name));
        if kind == Kind::Null {
            self.skip()?;
            if let Some(slot) = slot {
                *slot = None;
            }
        } else {
            T::read_into::<BUILD>(self, kind, slot)?;
        }
        self.path.pop();
        *span = Some((start, self.scanner.pos()));
        Ok(())
    }

    /// A repeated key: only its last occurrence counts, so forget what the
    /// value at `from..to` reported.
    #[cold]
    #[inline(never)]
    fn forget(&mut self, from: usize, to: usize) {
        self.mismatches.retain(|m| !(from..to).contains(&m.at));
    }

    /// Report the value that started at `start` and ends at the cursor.
    fn mismatch(
        &mut self,
        expected: JsonType,
        found: JsonType,
        start: usize,
        typed_json: Cow<'static, str>,
    ) {
        let mut path = String::new();
        for (i, step) in self.path.iter().enumerate() {
            if i > 0 {
                path.push('.');
            }
            match step {
                Step::Name(name) => path.push_str(name),
                Step::Key(key) => path.push_str(&key.decoded(self.text)),
                Step::Index(index) => {
                    let _ = write!(path, "{index}");
                }
            }
        }
        let value_json = self.text.get(start..self.scanner.pos()).unwrap_or("null");
        self.mismatches.push(Mismatch {
            path,
            expected,
            found,
            value_json: value_json.into(),
            typed_json,
            at: start,
        });
    }

    /// Pass a value of kind `kind` that cannot be read as `expected`, and
    /// report it; the typed view holds `None`.
    pub(crate) fn wrong<T>(
        &mut self,
        expected: JsonType,
        kind: Kind,
    ) -> Result<Option<T>, Invalid> {
        let start = self.scanner.pos();
        let found = match kind {
            Kind::Number => JsonType::of_number(self.scanner.number()?),
            Kind::String => {
                self.scanner.string()?;
                JsonType::String
            }
            Kind::Bool => {
                self.skip()?;
                JsonType::Boolean
            }
            Kind::Array => {
                self.skip()?;
                JsonType::Array
            }
            // Null never reaches here (it is no mismatch).
            Kind::Object | Kind::Null => {
                self.skip()?;
                JsonType::Object
            }
        };
        self.mismatch(expected, found, start, Cow::Borrowed("null"));
        Ok(None)
    }

    /// A string value, read when `READ` (as a view into the source when
    /// `SHARE`, which only building asks for); an integer is converted to
    /// its decimal text.
    fn text<const READ: bool, const SHARE: bool>(
        &mut self,
        kind: Kind,
    ) -> Result<Option<Str>, Invalid> {
        match kind {
            Kind::String => {
                let text = self.scanner.string()?;
                if !READ {
                    return Ok(None);
                }
                if let (true, Some(source), false) = (SHARE, &self.source, text.escaped) {
                    return Ok(Some(Str::shared(source, text.start, text.end)));
                }
                Ok(Some(Str::from(text.decoded(self.text).as_ref())))
            }
            Kind::Number => {
                let start = self.scanner.pos();
                let number = self.scanner.number()?;
                let found = JsonType::of_number(number);
                let literal = self.text.get(start..self.scanner.pos()).unwrap_or("");
                if found == JsonType::Integer {
                    // A JSON integer has one spelling: its literal is its
                    // decimal text.
                    let literal = Str::from(literal);
                    let typed = Cow::Owned(format!("\"{literal}\""));
                    self.mismatch(JsonType::String, found, start, typed);
                    Ok(Some(literal))
                } else {
                    self.mismatch(JsonType::String, found, start, Cow::Borrowed("null"));
                    Ok(None)
                }
            }
            _ => self.wrong(JsonType::String, kind),
        }
    }

    /// Record the typings of the descriptive value at the cursor (any JSON),
    /// when asked to, else only check and pass it.
    fn typings(&mut self) -> Result<(), Invalid> {
        if self.typings.is_none() {
            return self.skip();
        }
        match self.scanner.kind()? {
            Kind::String => {
                let text = self.scanner.string()?;
                let decoded = text.decoded(self.text);
                let (Some(scalar), Some(list)) =
                    (crate::visit::scalar(&decoded), self.typings.as_mut())
                else {
                    return Ok(());
                };
                if !list.is_empty() {
                    list.push(',');
                }
                list.push_str("[[");
                for (i, step) in self.path.iter().enumerate() {
                    if i > 0 {
                        list.push(',');
                    }
                    match step {
                        Step::Name(name) => {
                            let _ = write!(list, "\"{name}\"");
                        }
                        // As sent: a key's raw content is valid JSON string content.
                        Step::Key(key) => {
                            let _ = write!(list, "\"{}\"", key.raw(self.text));
                        }
                        Step::Index(index) => {
                            let _ = write!(list, "{index}");
                        }
                    }
                }
                let _ = write!(list, "],{},\"{}\"]", scalar.json(), text.raw(self.text));
                Ok(())
            }
            Kind::Array => self.elements(Self::typings),
            Kind::Object => {
                let mut more = self.scanner.enter(self.depth, b'{', b'}')?;
                self.depth += 1;
                while more {
                    let key = self.scanner.key()?;
                    self.path.push(Step::Key(key));
                    self.typings()?;
                    self.path.pop();
                    more = self.scanner.after(b'}')?;
                }
                self.depth -= 1;
                Ok(())
            }
            _ => self.skip(),
        }
    }
}

/// How a documented field's Rust type reads its JSON value.
pub(crate) trait Read {
    /// What the typed view holds.
    type Output;
    /// Read the present, non-null value of kind `kind` at the cursor,
    /// reporting a mismatch where it is of another type. With `BUILD` off
    /// the output may be `None` whatever the value.
    fn read<const BUILD: bool>(
        r: &mut Reader<'_>,
        kind: Kind,
    ) -> Result<Option<Self::Output>, Invalid>;

    /// [`Read::read`] into `slot`, if any (a record reads in place: it is
    /// large).
    fn read_into<const BUILD: bool>(
        r: &mut Reader<'_>,
        kind: Kind,
        slot: Option<&mut Option<Self::Output>>,
    ) -> Result<(), Invalid> {
        let value = Self::read::<BUILD>(r, kind)?;
        if let Some(slot) = slot {
            *slot = value;
        }
        Ok(())
    }
}

impl Read for Str {
    type Output = Str;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Str>, Invalid> {
        r.text::<BUILD, BUILD>(kind)
    }
}

/// A string field a check needs even without `BUILD` (the `timestamp`, and
/// the fields of the delivery key).
pub(crate) struct Kept;

impl Read for Kept {
    type Output = Str;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Str>, Invalid> {
        r.text::<true, BUILD>(kind)
    }
}

impl Read for i64 {
    type Output = i64;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<i64>, Invalid> {
        let start = r.scanner.pos();
        match kind {
            Kind::Number => {
                let number = r.scanner.number()?;
                if let Number::Integer(n) = number {
                    if let Ok(n) = i64::try_from(n) {
                        return Ok(Some(n));
                    }
                }
                let found = JsonType::of_number(number);
                r.mismatch(JsonType::Integer, found, start, Cow::Borrowed("null"));
                Ok(None)
            }
            Kind::String => {
                let text = r.scanner.string()?;
                let converted = match crate::visit::scalar(&text.decoded(r.text)) {
                    Some(crate::visit::Scalar::Integer(n)) => Some(n),
                    _ => None,
                };
                let typed = converted.map_or(Cow::Borrowed("null"), |n| Cow::Owned(n.to_string()));
                r.mismatch(JsonType::Integer, JsonType::String, start, typed);
                Ok(converted)
            }
            _ => r.wrong(JsonType::Integer, kind),
        }
    }
}

impl Read for bool {
    type Output = bool;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<bool>, Invalid> {
        let start = r.scanner.pos();
        match kind {
            Kind::Bool => {
                let value = r.scanner.peek() == Some(b't');
                r.skip()?;
                Ok(Some(value))
            }
            Kind::String => {
                let text = r.scanner.string()?;
                let converted = match &*text.decoded(r.text) {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                };
                let typed = match converted {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "null",
                };
                r.mismatch(
                    JsonType::Boolean,
                    JsonType::String,
                    start,
                    Cow::Borrowed(typed),
                );
                Ok(converted)
            }
            _ => r.wrong(JsonType::Boolean, kind),
        }
    }
}

/// An object field of any content (`icp_statuses`, `tracking_params`).
impl Read for Map<String, Value> {
    type Output = Map<String, Value>;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Self>, Invalid> {
        if kind != Kind::Object {
            return r.wrong(JsonType::Object, kind);
        }
        let start = r.scanner.pos();
        r.skip()?;
        Ok(BUILD.then(|| parse_map(r.text.get(start..r.scanner.pos()).unwrap_or("{}"))))
    }
}

/// A descriptive object of a visit (`location`, `device`, ...): any
/// content, with string-encoded scalars typed (see [`crate::visit`]).
pub(crate) struct Descriptive;

impl Read for Descriptive {
    type Output = Value;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Value>, Invalid> {
        if kind != Kind::Object {
            return r.wrong(JsonType::Object, kind);
        }
        let start = r.scanner.pos();
        r.typings()?;
        Ok(BUILD.then(|| {
            crate::visit::typed(&parse_value(
                r.text.get(start..r.scanner.pos()).unwrap_or("{}"),
            ))
        }))
    }
}

/// A list of records; a `null` item reads as `None` and is no mismatch.
impl<R: Read<Output = R>> Read for Vec<Option<R>> {
    type Output = Self;
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Self>, Invalid> {
        if kind != Kind::Array {
            return r.wrong(JsonType::Array, kind);
        }
        let mut items = Vec::new();
        r.elements(|r| {
            let item = match r.scanner.kind()? {
                Kind::Null => {
                    r.skip()?;
                    None
                }
                kind => R::read::<BUILD>(r, kind)?,
            };
            if BUILD {
                items.push(item);
            }
            Ok(())
        })?;
        Ok(BUILD.then_some(items))
    }
}

/// The position of `key` in `keys`, searched from `next` on (payloads mostly
/// list their keys in the documented order) and wrapping around; `next`
/// moves past a key found.
#[inline]
pub(crate) fn find_key(keys: &[&str], next: &mut usize, key: &str) -> Option<usize> {
    let key = key.as_bytes();
    let start = (*next).min(keys.len());
    let (before, after) = keys.split_at(start);
    let same = |name: &&str| same_bytes(name.as_bytes(), key);
    let found = match after.iter().position(same) {
        Some(i) => start + i,
        None => before.iter().position(same)?,
    };
    *next = found + 1;
    Some(found)
}

/// Whether two short byte strings are equal: the length settles most
/// misses, then eight bytes at a time (a memcmp call costs more for keys).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, rest_a)), Some((y, rest_b))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (rest_a, rest_b);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// The position of `key` in `keys` (its length when absent), for `record!`.
#[allow(clippy::indexing_slicing)]
pub(crate) const fn index_of(keys: &[&str], key: &str) -> usize {
    let mut i = 0;
    while i < keys.len() {
        let (a, b) = (keys[i].as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    keys.len()
}

/// Declare a record of documented fields, all optional. Field names are the
/// payload's own keys unless renamed with `= "key"`; the field's type is its
/// documented JSON type ([`Read`]), or `as Reader` reads it another way.
/// An `@extra { ... }` block adds members that are not payload fields.
macro_rules! record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( @extra { $( $(#[$extra_meta:meta])* $extra_vis:vis $extra:ident : $extra_ty:ty ),* $(,)? } )?
            $( $(#[$field_meta:meta])* $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
        #[non_exhaustive]
        $vis struct $name {
            $( $( $(#[$extra_meta])* $extra_vis $extra: $extra_ty, )* )?
            $(
                $(#[$field_meta])*
                $( #[serde(rename = $key)] )?
                pub $field: Option<$ty>,
            )*
        }

        impl $name {
            /// The documented keys, in declaration order.
            pub(crate) const KEYS: &'static [&'static str] = &[ $( record!(@key $field $($key)?) ),* ];

            /// At `{`: read every member into `out` (none when only
            /// checked); keys that are not documented go to `other`, which
            /// must consume the value.
            #[allow(dead_code)]
            pub(crate) fn read_members<const BUILD: bool>(
                r: &mut $crate::schema::Reader<'_>,
                mut out: Option<&mut Self>,
                mut other: impl FnMut(&mut $crate::schema::Reader<'_>, &str) -> Result<(), $crate::scan::Invalid>,
            ) -> Result<(), $crate::scan::Invalid> {
                // Each key's position in KEYS, as a constant named after the
                // field, so that the dispatch below is a jump on an index.
                #[allow(non_upper_case_globals, dead_code)]
                mod index {
                    $( pub(super) const $field: usize =
                        $crate::schema::index_of(super::$name::KEYS, record!(@key $field $($key)?)); )*
                }
                let mut spans: [$crate::schema::Span; $name::KEYS.len()] = [None; $name::KEYS.len()];
                let mut next = 0;
                r.members(|r, key| {
                    let found = $crate::schema::find_key($name::KEYS, &mut next, key);
                    match (found, found.and_then(|i| spans.get_mut(i))) {
                        $( (Some(index::$field), Some(span)) => r.field::<record!(@reader $ty $(, $reader)?), BUILD>(
                            record!(@key $field $($key)?),
                            out.as_mut().map(|out| &mut out.$field),
                            span,
                        ), )*
                        _ => other(r, key),
                    }
                })
            }
        }

        impl $crate::schema::Read for $name {
            type Output = Self;
            fn read<const BUILD: bool>(
                r: &mut $crate::schema::Reader<'_>,
                kind: $crate::scan::Kind,
            ) -> Result<Option<Self>, $crate::scan::Invalid> {
                if kind != $crate::scan::Kind::Object {
                    return r.wrong($crate::schema::JsonType::Object, kind);
                }
                if !BUILD {
                    Self::read_members::<BUILD>(r, None, |r, _| r.skip())?;
                    return Ok(None);
                }
                let mut out = Self::default();
                Self::read_members::<BUILD>(r, Some(&mut out), |r, _| r.skip())?;
                Ok(Some(out))
            }

            fn read_into<const BUILD: bool>(
                r: &mut $crate::schema::Reader<'_>,
                kind: $crate::scan::Kind,
                slot: Option<&mut Option<Self>>,
            ) -> Result<(), $crate::scan::Invalid> {
                if !BUILD {
                    // Only checked: a record's values are never kept.
                    return Self::read::<BUILD>(r, kind).map(drop);
                }
                match slot {
                    Some(slot) if kind == $crate::scan::Kind::Object => {
                        let out = slot.insert(Self::default());
                        Self::read_members::<BUILD>(r, Some(out), |r, _| r.skip())
                    }
                    slot => {
                        let value = Self::read::<BUILD>(r, kind)?;
                        if let Some(slot) = slot {
                            *slot = value;
                        }
                        Ok(())
                    }
                }
            }
        }
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
    (@reader $ty:ty, $reader:ty) => { $reader };
    (@reader $ty:ty) => { $ty };
}

// ---------------------------------------------------------------------------
// The records. Every documented field's JSON type comes from the senders'
// example payloads (fixtures/payloads/bullseye-partner-api-identification.json
// and fingerprinting-api-visit.json); fields shown only as null keep the type
// their name implies.
// ---------------------------------------------------------------------------

record! {
    /// A `visitor.identified` event: a visitor was identified on the
    /// customer's site.
    ///
    /// Every field either Bullseye document lists is here; absent, `null`
    /// or unreadable reads as `None` (see [`VisitorIdentified::mismatches`]).
    /// Fields neither lists stay in [`VisitorIdentified::raw`].
    pub struct VisitorIdentified {
        @extra {
            /// Always [`VISITOR_IDENTIFIED`](crate::VISITOR_IDENTIFIED).
            pub event_type: String,
            #[serde(skip)]
            pub(crate) raw: RawObject,
            #[serde(skip)]
            pub(crate) mismatches: Vec<Mismatch>,
        }
        /// When the event occurred (RFC 3339), as sent.
        timestamp: Str as Kept,
        /// The customer's Bullseye organization.
        organization_id: Str as Kept,
        /// The visitor's session.
        session_id: Str as Kept,
        /// The workspace's name.
        workspace: Str,
        /// Who was identified.
        visitor: Visitor,
        /// The visitor's company.
        company: Company,
        /// Session metadata: pages, UTM parameters, referrer, device.
        session: Session,
        /// The pages viewed in the session (a `null` item reads as `None`).
        page_views: Vec<Option<PageView>>,
    }
}

record! {
    /// The identified person.
    pub struct Visitor {
        /// Bullseye's visitor id.
        id: Str,
        /// Work email.
        email: Str,
        /// Personal email.
        personal_email: Str,
        /// First name.
        first_name: Str,
        /// Last name.
        last_name: Str,
        /// Job title.
        job_title: Str,
        /// Phone number.
        phone: Str,
        /// Location, as Bullseye formats it.
        location: Str,
        /// Photo URL.
        photo_url: Str,
        /// LinkedIn profile URL.
        linkedin_url: Str,
        /// Facebook profile URL.
        facebook_url: Str,
        /// Twitter profile URL.
        twitter_url: Str,
        /// Street address.
        address: Str,
        /// City.
        city: Str,
        /// State or region.
        state: Str,
        /// Postal code.
        postal_code: Str,
        /// Gender.
        gender: Str,
        /// Age range.
        age_range: Str,
        /// Income range.
        income_range: Str,
        /// Net worth range.
        net_worth: Str,
        /// Homeowner status.
        homeowner: bool,
        /// Marital status.
        married: bool,
        /// Children.
        children: bool,
        /// The ideal-customer profile matched.
        icp: Str,
        /// ICP statuses.
        icp_statuses: Map<String, Value>,
        /// Whether the visitor matches a persona.
        persona_match: bool,
        /// When Bullseye first saw this visitor.
        created_at: Str,
        /// When Bullseye last saw this visitor.
        last_seen_at: Str,
    }
}

record! {
    /// The visitor's company.
    pub struct Company {
        /// Bullseye's company id.
        id: Str,
        /// Name.
        name: Str,
        /// Web domain.
        domain: Str,
        /// Industry.
        industry: Str,
        /// Number of employees (`150` in the documented example).
        size: i64,
        /// Number of employees.
        employee_count: i64,
        /// Employee size range (`"101-500"`).
        employee_size_range: Str,
        /// Revenue range.
        revenue_range: Str,
        /// Location.
        location: Str,
        /// LinkedIn URL.
        linkedin_url: Str,
        /// Website URL.
        website_url: Str,
        /// Description.
        description: Str,
        /// Logo URL.
        logo_url: Str,
        /// Street address.
        address: Str,
        /// City.
        city: Str,
        /// Region or state.
        region: Str,
        /// Postal code.
        postal_code: Str,
    }
}

record! {
    /// Session metadata.
    pub struct Session {
        /// When the session started.
        created_at: Str,
        /// First page of the session.
        landing_page: Str,
        /// Entry page.
        entry_page: Str,
        /// Exit page.
        exit_page: Str,
        /// Pages visited.
        pages_visited: i64,
        /// Referrer.
        referrer: Str,
        /// Device type.
        device_type: Str,
        /// Whether this was the visitor's first visit.
        first_visit: bool,
        /// utm_source.
        utm_source: Str,
        /// utm_campaign.
        utm_campaign: Str,
        /// utm_medium.
        utm_medium: Str,
        /// utm_term.
        utm_term: Str,
        /// utm_content.
        utm_content: Str,
        /// Campaign name.
        campaign_name: Str,
        /// Campaign source.
        campaign_source: Str,
        /// Campaign medium.
        campaign_medium: Str,
        /// Campaign term.
        campaign_term: Str,
        /// Campaign content.
        campaign_content: Str,
        /// Search term.
        search_term: Str,
        /// Search engine.
        search_engine: Str,
        /// Country.
        country: Str,
        /// Region.
        region: Str,
        /// City.
        city: Str,
        /// All tracking parameters.
        tracking_params: Map<String, Value>,
    }
}

record! {
    /// One page view of the session.
    pub struct PageView {
        /// The page's URL.
        url: Str,
        /// When it was viewed.
        visited_at: Str,
    }
}

record! {
    /// A fingerprinting-api visit (`NEW_VISIT`, `NEW_VISITOR`).
    ///
    /// The descriptive objects (`location`, `traffic_source`, `device`,
    /// `browser`, `screen`) hold their string-encoded numbers and booleans
    /// typed; [`Visit::raw`] keeps the object as sent.
    pub struct Visit {
        @extra {
            /// `NEW_VISIT` or `NEW_VISITOR` when the payload names its type
            /// (in `event_type`, `event` or `type`); `None` when it does not.
            pub event_type: Option<String>,
            #[serde(skip)]
            pub(crate) raw: RawObject,
            #[serde(skip)]
            pub(crate) mismatches: Vec<Mismatch>,
        }
        /// The visit's id.
        id: Str as Kept,
        /// The visited URL.
        url: Str,
        /// The URL's parameters, as sent.
        params: Map<String, Value>,
        /// The referrer.
        referrer: Str,
        /// When the visit happened, as sent.
        date: Str,
        /// The visitor's IP address.
        ip: Str,
        /// The visitor.
        visitor: VisitVisitor,
        /// Geolocation, typed.
        location: Value as Descriptive,
        /// Where the visit came from, typed.
        traffic_source = "trafficSource": Value as Descriptive,
        /// The device, typed.
        device: Value as Descriptive,
        /// The browser, typed.
        browser: Value as Descriptive,
        /// The time zone.
        timezone: Str,
        /// The screen, typed.
        screen: Value as Descriptive,
    }
}

record! {
    /// The visitor of a [`Visit`].
    pub struct VisitVisitor {
        /// The visitor's id.
        id: Str,
        /// When the visitor was first seen, as sent.
        first_seen = "firstSeen": Str,
        /// The visitor's company.
        company: VisitCompany,
    }
}

record! {
    /// The company of a visit's visitor.
    pub struct VisitCompany {
        /// Name.
        name: Str,
        /// Web domain.
        domain: Str,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_in_any_order_from_any_hint() {
        let keys = Visitor::KEYS;
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(index_of(keys, key), i);
        }
        assert_eq!(index_of(keys, "nope"), keys.len());
        for start in 0..=keys.len() + 1 {
            let mut next = start;
            for (i, key) in keys.iter().enumerate().rev().chain(keys.iter().enumerate()) {
                assert_eq!(
                    find_key(keys, &mut next, key),
                    Some(i),
                    "{key} from {start}"
                );
                assert_eq!(next, i + 1);
            }
            assert_eq!(find_key(keys, &mut next, "nope"), None);
        }
    }
}
