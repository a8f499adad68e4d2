//! How each Rust type of a documented field reads its JSON value.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::mismatch::JsonType;
use super::reader::{Reader, Spans, Step};
use super::typing::{Scalar, scalar, typed};
use crate::json::{parse_map, parse_value};
use crate::scan::{Invalid, Kind, Number};
use crate::text::{Str, Text};

impl Reader<'_> {
    /// The value of documented field `name`, the `index`th of its record,
    /// into `slot` (none when the record is only checked), as `T` reads it.
    /// `spans` are the record's (see [`Spans`]). Out of line natively, one
    /// copy a field type: inline in every step of every record, the
    /// check's readers took 25 to 40 KB each and missed the instruction
    /// cache some 800 times a call (cachegrind); a call a field costs
    /// more instructions and less time (bench/PROFILE.md, fifth round).
    #[cfg_attr(not(target_arch = "wasm32"), inline(never))]
    pub(crate) fn field<T: Read, const BUILD: bool>(
        &mut self,
        name: &'static str,
        index: usize,
        slot: Option<&mut Option<T::Output>>,
        spans: &mut Spans,
    ) -> Result<(), Invalid> {
        self.scanner.skip_whitespace();
        let start = self.scanner.pos();
        if !spans.is_empty() {
            self.forget(spans, index);
        }
        let before = self.reported();
        self.step_in(Step::Name(name));
        // Most values are strings: natively that is one compare, before
        // (and instead of) the jump on the value's first byte.
        #[cfg(not(target_arch = "wasm32"))]
        let string = self.scanner.peek() == Some(b'"');
        #[cfg(target_arch = "wasm32")]
        let string = false;
        if string {
            T::read_into::<BUILD>(self, Kind::String, slot)?;
        } else {
            let kind = self.scanner.kind()?;
            if kind == Kind::Null {
                self.skip()?;
                if let Some(slot) = slot {
                    *slot = None;
                }
            } else {
                T::read_into::<BUILD>(self, kind, slot)?;
            }
        }
        self.step_out();
        if self.reported() != before {
            self.reported_in(before, name, index, start, spans);
        }
        Ok(())
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

    /// Natively, the common string value read inline, before (and instead
    /// of) the call to [`Reader::field`]: whether it was read. Only the
    /// string types read one (see [`Reader::plain_text`]).
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    fn read_plain<const BUILD: bool>(
        _r: &mut Reader<'_>,
        _slot: Option<&mut Option<Self::Output>>,
        _spans: &Spans,
    ) -> bool {
        false
    }

    /// [`Read::read`] into `slot`, if any (a record reads in place: it is
    /// large).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn read_into<const BUILD: bool>(
        r: &mut Reader<'_>,
        kind: Kind,
        slot: Option<&mut Option<Self::Output>>,
    ) -> Result<(), Invalid> {
        let value = Self::read::<BUILD>(r, kind)?;
        if let Some(slot) = slot {
            // The common case is a key's first occurrence, nothing to
            // drop: a repeated key's earlier value is dropped out of line
            // (an assignment called the drop at every field).
            if let Some(earlier) = std::mem::replace(slot, value) {
                drop_earlier(earlier);
            }
        }
        Ok(())
    }
}

/// Drop a repeated key's earlier value (see [`Read::read_into`]).
#[cold]
#[inline(never)]
pub(crate) fn drop_earlier<T>(earlier: T) {
    drop(earlier);
}

/// A plain string at the cursor (see [`Reader::plain_text`]), its range
/// stored into `slot` as its text when `keep`; `false`, nothing read, for
/// any other value.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn read_plain_text(
    r: &mut Reader<'_>,
    slot: Option<&mut Option<Text>>,
    spans: &Spans,
    keep: bool,
) -> bool {
    let Some((start, end)) = r.plain_text(spans) else {
        return false;
    };
    if let (true, Some(slot)) = (keep, slot) {
        if let Some(earlier) = slot.replace(Text::span(r.text, start, end)) {
            drop_earlier(earlier);
        }
    }
    true
}

/// A string: a range of the body (see [`Text`]).
impl Read for Str {
    type Output = Text;
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    fn read_plain<const BUILD: bool>(
        r: &mut Reader<'_>,
        slot: Option<&mut Option<Text>>,
        spans: &Spans,
    ) -> bool {
        read_plain_text(r, slot, spans, BUILD)
    }
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Text>, Invalid> {
        r.text::<BUILD>(kind)
    }
}

/// A string field a check needs even without `BUILD` (the `timestamp`, and
/// the fields of the delivery key).
pub(crate) struct Kept;

impl Read for Kept {
    type Output = Text;
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    fn read_plain<const BUILD: bool>(
        r: &mut Reader<'_>,
        slot: Option<&mut Option<Text>>,
        spans: &Spans,
    ) -> bool {
        read_plain_text(r, slot, spans, true)
    }
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn read<const BUILD: bool>(r: &mut Reader<'_>, kind: Kind) -> Result<Option<Text>, Invalid> {
        r.text::<true>(kind)
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
                let converted = match scalar(&text.decoded(r.text)) {
                    Some(Scalar::Integer(n)) => Some(n),
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
            typed(&parse_value(
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
        let mut items: Vec<Option<R>> = Vec::new();
        r.elements(|r| {
            let kind = r.scanner.kind()?;
            if !BUILD {
                return if kind == Kind::Null {
                    r.skip()
                } else {
                    R::read_into::<BUILD>(r, kind, None)
                };
            }
            if items.capacity() == 0 {
                // One allocation for a list of the documented example's
                // size (a dozen page views), where growing by doubling
                // took three.
                items.reserve_exact(LIST_CAPACITY);
            }
            // Each item is read where it is kept (a record is large: built
            // aside, its move was a copy, and a slow one).
            items.push(None);
            let slot = items.last_mut();
            if kind == Kind::Null {
                r.skip()
            } else {
                R::read_into::<BUILD>(r, kind, slot)
            }
        })?;
        Ok(BUILD.then_some(items))
    }
}

/// The room a built list of records starts with.
const LIST_CAPACITY: usize = 16;
