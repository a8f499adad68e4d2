//! The lean readers: the reference path's answers, errors included, from one
//! pass of the [`scan`](crate::scan) scanner, with no serde and no
//! allocation on the common path.
//!
//! Documented fields are checked by their [`Shape`], which the records
//! declare once (see `record!`). A repeated key counts by its last
//! occurrence and the first mismatch in declaration order is the one
//! reported, as when the reference path reads a parsed object.
//!
//! Bindings that build their own objects (JavaScript's `JSON.parse`) use
//! these: [`Webhook::check_event`], [`identified_ids`], [`parse_visit_json`].
//! They are all the WASM build reads JSON with.

use std::borrow::Cow;
use std::fmt;

use crate::event::VISITOR_IDENTIFIED;
use crate::fields::mismatch;
use crate::json::{check_depth, not_an_object, not_json, utf8};
use crate::scan::{Invalid, Kind, Number, Scanner, Unescaped};
use crate::visit::{Scalar, VISIT_TYPE_KEYS, VisitCompany, scalar};
use crate::{DEFAULT_MAX_BODY_BYTES, Error, Webhook};

/// What a documented field must be (absent and `null` always pass).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// A string.
    Text,
    /// A string, or an integer read as its decimal text.
    Id,
    /// A boolean.
    Flag,
    /// An integer that fits an `i64`.
    Integer,
    /// Any JSON.
    Any,
    /// An object whose documented fields have these shapes.
    Record(&'static [Field]),
    /// An array of such objects.
    Records(&'static [Field]),
}

/// A documented field: its key and shape.
pub(crate) type Field = (&'static str, Shape);

impl Shape {
    /// What the shape expects, in the reference path's words.
    fn expected(self) -> &'static str {
        match self {
            Shape::Text => "a string",
            Shape::Id => ID_EXPECTED,
            Shape::Flag => "a boolean",
            Shape::Integer => "an integer",
            Shape::Any => "any JSON value",
            Shape::Record(_) => "an object",
            Shape::Records(_) => "an array",
        }
    }
}

/// What an id field expects.
pub(crate) const ID_EXPECTED: &str = "a string or an integer";

/// A type read from a documented field, and its shape.
pub(crate) trait Shaped {
    const SHAPE: Shape;
}

/// A record of documented fields (implemented by `record!`).
pub(crate) trait Record {
    const FIELDS: &'static [Field];
}

impl Shaped for String {
    const SHAPE: Shape = Shape::Text;
}

impl Shaped for bool {
    const SHAPE: Shape = Shape::Flag;
}

impl Shaped for i64 {
    const SHAPE: Shape = Shape::Integer;
}

impl Shaped for serde_json::Value {
    const SHAPE: Shape = Shape::Any;
}

impl<T: Record> Shaped for Vec<T> {
    const SHAPE: Shape = Shape::Records(T::FIELDS);
}

/// The most fields a record may declare (the largest has 29): slots are
/// fixed arrays of this length, and a field past it would go unchecked, so
/// `record!` and the tables here refuse to compile beyond it.
pub(crate) const MAX_FIELDS: usize = 32;

const _: () = assert!(VISIT_FIELDS.len() <= MAX_FIELDS);

/// One step of a field's path.
#[derive(Debug, Clone, Copy)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// A documented field of the wrong type: where (innermost step first),
/// what was expected, and the kind found. Boxed wherever it is kept, so
/// that the slots of the common, valid case stay small.
#[derive(Debug, Clone)]
struct Mismatch {
    steps: [Step; 4],
    depth: usize,
    expected: &'static str,
    found: Kind,
}

impl Mismatch {
    fn new(expected: &'static str, found: Kind) -> Box<Self> {
        Box::new(Self {
            steps: [Step::Index(0); 4],
            depth: 0,
            expected,
            found,
        })
    }

    /// The same mismatch seen from one level up.
    fn within(mut self: Box<Self>, step: Step) -> Box<Self> {
        if let Some(slot) = self.steps.get_mut(self.depth) {
            *slot = step;
            self.depth += 1;
        }
        self
    }

    fn error(&self) -> Error {
        mismatch(self, self.expected, self.found.described())
    }
}

/// Formats as the reference path's `Path` does: `a.b[2].c`.
impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps = self.steps.get(..self.depth).unwrap_or_default();
        for (i, step) in steps.iter().rev().enumerate() {
            match step {
                Step::Key(key) if i == 0 => f.write_str(key)?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A documented field's last occurrence: where its value is, its kind, and
/// whether it has the field's shape.
#[derive(Debug, Clone)]
struct Slot {
    value: Option<(usize, usize, Kind)>,
    outcome: Result<(), Box<Mismatch>>,
}

const ABSENT: Slot = Slot {
    value: None,
    outcome: Ok(()),
};

impl Slot {
    /// The value's range and kind, unless absent or `null`.
    fn present(&self) -> Option<(usize, usize, Kind)> {
        self.value.filter(|(_, _, kind)| *kind != Kind::Null)
    }
}

/// Pass the value at the cursor, checking it against `shape`.
fn shaped(
    scanner: &mut Scanner<'_>,
    shape: Shape,
    depth: usize,
    slot: &mut Slot,
) -> Result<(), Invalid> {
    // Written into the caller's slot, not returned: a returned slot goes
    // through memory, and reading it back stalled the loop.
    let kind = scanner.kind()?;
    let start = scanner.pos();
    let outcome = match (shape, kind) {
        // Most documented fields: a string where one belongs.
        (Shape::Text | Shape::Id | Shape::Any, Kind::String) => {
            scanner.string()?;
            Ok(())
        }
        (Shape::Record(fields), Kind::Object) => {
            let mut slots = [ABSENT; MAX_FIELDS];
            record(scanner, fields, depth, &mut slots)?;
            first_mismatch(fields, &slots)
        }
        (Shape::Records(fields), Kind::Array) => {
            let mut first = Ok(());
            let mut item = ABSENT;
            scanner.array(depth, |scanner, index| {
                shaped(scanner, Shape::Record(fields), depth + 1, &mut item)?;
                if first.is_ok() {
                    let outcome = match item.present() {
                        Some(_) => std::mem::replace(&mut item.outcome, Ok(())),
                        None => Err(Mismatch::new("an object", Kind::Null)),
                    };
                    first = outcome.map_err(|m| m.within(Step::Index(index)));
                }
                Ok(())
            })?;
            first
        }
        (Shape::Integer, Kind::Number) => match scanner.number()? {
            Number::Integer(n) if i64::try_from(n).is_ok() => Ok(()),
            _ => Err(Mismatch::new(shape.expected(), kind)),
        },
        (Shape::Id, Kind::Number) => match scanner.number()? {
            Number::Integer(_) => Ok(()),
            Number::Float => Err(Mismatch::new(shape.expected(), kind)),
        },
        (_, Kind::Null) | (Shape::Any, _) | (Shape::Flag, Kind::Bool) => {
            scanner.value(depth)?;
            Ok(())
        }
        _ => {
            scanner.value(depth)?;
            Err(Mismatch::new(shape.expected(), kind))
        }
    };
    slot.value = Some((start, scanner.pos(), kind));
    slot.outcome = outcome;
    Ok(())
}

/// At `{`: pass every member, checking all of it, and keep in `slots` the
/// last occurrence of each of `fields`.
fn record(
    scanner: &mut Scanner<'_>,
    fields: &[Field],
    depth: usize,
    slots: &mut [Slot; MAX_FIELDS],
) -> Result<(), Invalid> {
    let text = scanner.text();
    // Payloads mostly list keys in the documented order, so the search
    // starts after the last field found and wraps around.
    let mut next = 0;
    scanner.object(depth, |scanner, key| {
        let mut order = (next..fields.len()).chain(0..next);
        let raw = key.raw(text).as_bytes();
        let known = order.find(|&i| {
            fields.get(i).is_some_and(|(name, _)| {
                if key.escaped {
                    key.is(text, name)
                } else {
                    same_key(raw, name.as_bytes())
                }
            })
        });
        if let Some(i) = known {
            next = i + 1;
        }
        match known.and_then(|i| Some((fields.get(i)?.1, slots.get_mut(i)?))) {
            Some((shape, slot)) => shaped(scanner, shape, depth + 1, slot)?,
            None => {
                scanner.value(depth + 1)?;
            }
        }
        Ok(())
    })
}

/// Whether two keys are equal.
fn same_key(raw: &[u8], name: &[u8]) -> bool {
    // Byte by byte: keys are short, and a memcmp call costs more here.
    raw.len() == name.len() && raw.iter().zip(name).all(|(a, b)| a == b)
}

/// The first field, in declaration order, whose last occurrence mismatched.
fn first_mismatch(fields: &[Field], slots: &[Slot]) -> Result<(), Box<Mismatch>> {
    for ((name, _), slot) in fields.iter().zip(slots) {
        if let Err(m) = &slot.outcome {
            return Err(m.clone().within(Step::Key(name)));
        }
    }
    Ok(())
}

/// A body's root object read against `fields`: the contract's body checks
/// (depth, JSON, an object), then every field's last occurrence.
fn root(text: &str, fields: &[Field]) -> Result<[Slot; MAX_FIELDS], Error> {
    let mut slots = [ABSENT; MAX_FIELDS];
    let mut scanner = Scanner::new(text);
    let scanned = match scanner.kind() {
        Ok(Kind::Object) => record(&mut scanner, fields, 0, &mut slots).map(|()| Kind::Object),
        _ => scanner.value(0),
    }
    .and_then(|kind| scanner.end().map(|()| kind));
    match scanned {
        Ok(Kind::Object) => Ok(slots),
        Ok(other) => Err(not_an_object(other.described())),
        // The depth limit is checked before syntax, as the reference path
        // checks it: on the whole text, here only once the scan failed (the
        // scanner also refuses a 129th level, so a text it accepts passes).
        Err(Invalid(offset)) => Err(check_depth(text)
            .err()
            .unwrap_or_else(|| not_json(text, offset))),
    }
}

/// The slot of field `name` (which `fields` declares).
fn slot<'s>(fields: &[Field], slots: &'s [Slot], name: &str) -> &'s Slot {
    fields
        .iter()
        .position(|(field, _)| *field == name)
        .and_then(|i| slots.get(i))
        .unwrap_or(&ABSENT)
}

/// A present string's decoded content; `None` when absent or `null`;
/// a mismatch naming `name` for any other kind.
fn text_of<'t>(
    text: &'t str,
    slot: &Slot,
    name: &'static str,
) -> Result<Option<Cow<'t, str>>, Error> {
    match slot.present() {
        None => Ok(None),
        Some((start, _, Kind::String)) => {
            let mut scanner = Scanner::at(text, start);
            Ok(scanner.string().ok().map(|s| s.decoded(text)))
        }
        Some((_, _, kind)) => Err(Mismatch::new("a string", kind)
            .within(Step::Key(name))
            .error()),
    }
}

/// The root fields of a Bullseye event the check reads.
fn envelope() -> &'static [Field] {
    <crate::event::Envelope as Record>::FIELDS
}

/// What the check of an event body found.
#[derive(Debug)]
pub(crate) struct CheckedEvent<'t> {
    pub(crate) event_type: String,
    /// The `timestamp`, or its error, which only matters with a tolerance.
    pub(crate) timestamp: Result<Option<Cow<'t, str>>, Error>,
}

/// An event body's type and `timestamp`, with the reference path's checks
/// and errors.
pub(crate) fn event(text: &str) -> Result<CheckedEvent<'_>, Error> {
    let fields = envelope();
    let slots = root(text, fields)?;
    let by_name = |name| slot(fields, &slots, name);
    let key = match by_name("event_type").present() {
        Some(_) => "event_type",
        None => "event",
    };
    let event_type = text_of(text, by_name(key), key)?
        .ok_or_else(|| {
            Error::InvalidPayload("the object has no `event_type` (or `event`) key".to_owned())
        })?
        .into_owned();
    if event_type == VISITOR_IDENTIFIED {
        for ((name, _), slot) in fields.iter().zip(&slots) {
            if let (false, Err(m)) = (matches!(*name, "event_type" | "event"), &slot.outcome) {
                return Err(m.clone().within(Step::Key(name)).error());
            }
        }
    }
    let timestamp = text_of(text, by_name("timestamp"), "timestamp");
    Ok(CheckedEvent {
        event_type,
        timestamp,
    })
}

/// The `visitor.id` and `company.id` of an identification, as its typed
/// view reads them (an integer as its decimal text); `None` where absent or
/// not an id. For bindings that parse the JSON themselves and find a
/// number there: read it from a body [`Webhook::check_event`] accepted.
pub fn identified_ids(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(text) = std::str::from_utf8(body) else {
        return (None, None);
    };
    let Ok(slots) = root(text, envelope()) else {
        return (None, None);
    };
    let id = |record: &str| {
        let (start, _, _) = slot(envelope(), &slots, record).present()?;
        let fields = [("id", Shape::Id)];
        let mut inner = [ABSENT; MAX_FIELDS];
        record_at(text, start, &fields, &mut inner).ok()?;
        id_text(text, inner.first()?)
    };
    (id("visitor"), id("company"))
}

/// [`record`] for the object at `start` of `text`.
fn record_at(
    text: &str,
    start: usize,
    fields: &[Field],
    slots: &mut [Slot; MAX_FIELDS],
) -> Result<(), Invalid> {
    record(&mut Scanner::at(text, start), fields, 0, slots)
}

/// An id's typed reading: a string decoded, an integer as its literal.
fn id_text(text: &str, slot: &Slot) -> Option<String> {
    if slot.outcome.is_err() {
        return None;
    }
    let (start, end, kind) = slot.present()?;
    match kind {
        Kind::String => Some(
            Scanner::at(text, start)
                .string()
                .ok()?
                .decoded(text)
                .into_owned(),
        ),
        // JSON integers have one spelling: the literal is the decimal text.
        Kind::Number => text.get(start..end).map(str::to_owned),
        _ => None,
    }
}

/// The root fields of a visit, in the reference path's order of checks.
const VISIT_FIELDS: [Field; 16] = [
    ("event_type", Shape::Any),
    ("event", Shape::Any),
    ("type", Shape::Any),
    ("visitor", Shape::Record(&VISIT_VISITOR_FIELDS)),
    ("id", Shape::Id),
    ("url", Shape::Text),
    ("params", Shape::Any),
    ("referrer", Shape::Text),
    ("date", Shape::Text),
    ("ip", Shape::Text),
    ("location", Shape::Any),
    ("trafficSource", Shape::Any),
    ("device", Shape::Any),
    ("browser", Shape::Any),
    ("timezone", Shape::Any),
    ("screen", Shape::Any),
];

const VISIT_VISITOR_FIELDS: [Field; 3] = [
    ("id", Shape::Id),
    ("firstSeen", Shape::Any),
    ("company", Shape::Record(<VisitCompany as Record>::FIELDS)),
];

/// [`crate::parse_visit`]'s typed view as JSON text, with its checks and
/// errors, read without serde: for bindings that build their own objects.
pub fn parse_visit_json(body: &[u8]) -> Result<String, Error> {
    if body.len() > DEFAULT_MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge {
            limit: DEFAULT_MAX_BODY_BYTES,
            actual: body.len(),
        });
    }
    visit_json(body)
}

impl Webhook {
    /// [`Webhook::construct_visit`]'s typed view as JSON text, read
    /// without serde: for bindings that build their own objects.
    pub fn construct_visit_json(&self, body: &[u8], signature: &str) -> Result<String, Error> {
        self.verify_visit_signature(body, signature)?;
        visit_json(body)
    }
}

fn visit_json(body: &[u8]) -> Result<String, Error> {
    let text = utf8(body)?;
    let slots = root(text, &VISIT_FIELDS)?;
    let by_name = |name| slot(&VISIT_FIELDS, &slots, name);
    let type_key = VISIT_TYPE_KEYS
        .into_iter()
        .find(|key| by_name(key).present().is_some());
    if let Some(key) = type_key {
        text_of(text, by_name(key), key)?;
    }
    first_mismatch(&VISIT_FIELDS, &slots).map_err(|m| m.error())?;
    let mut out = String::with_capacity(text.len() + 256);
    out.push_str("{\"event_type\":");
    raw(&mut out, text, type_key.map_or(&ABSENT, by_name));
    for name in ["id", "url", "params", "referrer", "date", "ip", "visitor"] {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        let slot = by_name(name);
        match name {
            "id" => id_json(&mut out, text, slot),
            "visitor" => visitor_json(&mut out, text, slot),
            _ => raw(&mut out, text, slot),
        }
    }
    for name in [
        "location",
        "trafficSource",
        "device",
        "browser",
        "timezone",
        "screen",
    ] {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        typed_json(&mut out, text, by_name(name));
    }
    out.push('}');
    Ok(out)
}

/// A value as sent (valid JSON text), or `null` when absent.
fn raw(out: &mut String, text: &str, slot: &Slot) {
    match slot
        .present()
        .and_then(|(start, end, _)| text.get(start..end))
    {
        Some(json) => out.push_str(json),
        None => out.push_str("null"),
    }
}

/// An id: a string as sent, an integer as its decimal text in a string.
fn id_json(out: &mut String, text: &str, slot: &Slot) {
    match slot.present() {
        Some((start, end, Kind::Number)) => {
            out.push('"');
            out.push_str(text.get(start..end).unwrap_or_default());
            out.push('"');
        }
        _ => raw(out, text, slot),
    }
}

fn visitor_json(out: &mut String, text: &str, slot: &Slot) {
    let Some((start, _, _)) = slot.present() else {
        return out.push_str("null");
    };
    let mut slots = [ABSENT; MAX_FIELDS];
    if record_at(text, start, &VISIT_VISITOR_FIELDS, &mut slots).is_err() {
        return out.push_str("null");
    }
    let [id, first_seen, company, ..] = &slots;
    out.push_str("{\"id\":");
    id_json(out, text, id);
    out.push_str(",\"firstSeen\":");
    typed_json(out, text, first_seen);
    out.push_str(",\"company\":");
    match company.present() {
        Some((start, _, _)) => {
            let fields = <VisitCompany as Record>::FIELDS;
            let mut inner = [ABSENT; MAX_FIELDS];
            let _ = record_at(text, start, fields, &mut inner);
            out.push('{');
            for (i, ((name, _), slot)) in fields.iter().zip(&inner).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(name);
                out.push_str("\":");
                raw(out, text, slot);
            }
            out.push('}');
        }
        None => out.push_str("null"),
    }
    out.push('}');
}

/// A descriptive value with string-encoded scalars typed (the rule of
/// [`crate::visit`]), or `null` when absent.
fn typed_json(out: &mut String, text: &str, slot: &Slot) {
    match slot.present() {
        Some((start, _, _)) => {
            let mut scanner = Scanner::at(text, start);
            // Checked by the first pass, so this cannot fail; if it did, the
            // output would only be cut short, never wrong JSON to trust.
            let _ = typed_value(&mut scanner, out, 0);
        }
        None => out.push_str("null"),
    }
}

fn typed_value(scanner: &mut Scanner<'_>, out: &mut String, depth: usize) -> Result<(), Invalid> {
    let text = scanner.text();
    match scanner.kind()? {
        Kind::String => {
            let string = scanner.string()?;
            let raw = string.raw(text);
            // Only short strings can be a typed scalar; decode those.
            let mut short = [0u8; 24];
            let decoded = if string.escaped && raw.len() <= 6 * short.len() {
                decode_into(raw, &mut short)
            } else {
                Some(raw)
            };
            match decoded.and_then(scalar) {
                Some(Scalar::Bool(true)) => out.push_str("true"),
                Some(Scalar::Bool(false)) => out.push_str("false"),
                Some(Scalar::Integer(_)) => out.push_str(decoded.unwrap_or_default()),
                None => {
                    out.push('"');
                    out.push_str(raw);
                    out.push('"');
                }
            }
        }
        Kind::Array => {
            out.push('[');
            scanner.array(depth, |scanner, index| {
                if index > 0 {
                    out.push(',');
                }
                typed_value(scanner, out, depth + 1)
            })?;
            out.push(']');
        }
        Kind::Object => {
            out.push('{');
            let mut first = true;
            scanner.object(depth, |scanner, key| {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push('"');
                out.push_str(key.raw(text));
                out.push_str("\":");
                typed_value(scanner, out, depth + 1)
            })?;
            out.push('}');
        }
        Kind::Null | Kind::Bool | Kind::Number => {
            let start = scanner.pos();
            scanner.value(depth)?;
            out.push_str(text.get(start..scanner.pos()).unwrap_or_default());
        }
    }
    Ok(())
}

/// Decode an escaped string's content into `buffer`; `None` if it does not fit.
fn decode_into<'b>(raw: &str, buffer: &'b mut [u8; 24]) -> Option<&'b str> {
    let mut len = 0;
    for c in Unescaped::new(raw) {
        let end = len + c.len_utf8();
        c.encode_utf8(buffer.get_mut(len..end)?);
        len = end;
    }
    std::str::from_utf8(buffer.get(..len)?).ok()
}
