//! Bullseye events: `visitor.identified`, typed, and every other type,
//! generic, read by the one reader of [`crate::schema`].
//!
//! The type comes from `event_type`, or from `event` (the dashboard guide's
//! name) when `event_type` is not a non-empty string. Only an identification
//! has documented fields, so only it reports mismatches.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::delivery::{KeyFields, event_key};
use crate::error::Error;
use crate::json::{RawObject, utf8};
use crate::schema::{Mismatch, Reader, VisitorIdentified, refuse_if_strict};
use crate::text::{Body, Text};
use crate::time::parse_rfc3339;
#[cfg(not(target_arch = "wasm32"))]
use crate::{
    scan::{Kind, Scanner},
    schema::{read::Kept, reader::Spans},
};

/// The `event_type` of an identification.
pub const VISITOR_IDENTIFIED: &str = "visitor.identified";

/// A verified Bullseye event.
///
/// Serializes back to the payload's own object, unknown fields included, with
/// `event_type` set to the resolved type (added when the payload named its
/// type `event`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `visitor.identified`, with every documented field typed.
    VisitorIdentified(Box<VisitorIdentified>),
    /// Any other type (billing events, the test webhook, types not yet
    /// documented): its type and the whole object.
    Other(GenericEvent),
}

impl Event {
    /// The event's type, from `event_type` or, when that is absent, `event`.
    pub fn event_type(&self) -> &str {
        match self {
            Event::VisitorIdentified(e) => &e.event_type,
            Event::Other(e) => &e.event_type,
        }
    }

    /// The whole payload object as received, documented or not.
    pub fn raw(&self) -> &Map<String, Value> {
        self.raw_object().object()
    }

    /// The payload's JSON text exactly as received (and verified).
    pub fn raw_json(&self) -> &str {
        self.raw_object().text()
    }

    fn raw_object(&self) -> &RawObject {
        match self {
            Event::VisitorIdentified(e) => &e.raw,
            Event::Other(e) => &e.raw,
        }
    }

    /// The documented fields whose value was not of their documented type,
    /// in document order (always empty for types other than
    /// `visitor.identified`).
    pub fn mismatches(&self) -> &[Mismatch] {
        match self {
            Event::VisitorIdentified(e) => &e.mismatches,
            Event::Other(_) => &[],
        }
    }

    /// The identification, if this is one.
    pub fn as_visitor_identified(&self) -> Option<&VisitorIdentified> {
        match self {
            Event::VisitorIdentified(e) => Some(e),
            Event::Other(_) => None,
        }
    }

    /// The key that de-duplicates this delivery (see [`crate::delivery`]):
    /// `bullseye:{organization_id}:{event_type}:{session_id}` when the
    /// event has a non-empty `session_id`, else `sha256:{hex of the body}`.
    pub fn delivery_key(&self) -> String {
        match self {
            Event::VisitorIdentified(e) => e.delivery_key(),
            Event::Other(e) => e.delivery_key(),
        }
    }

    /// The hash kept with the delivery's claim and done mark, to tell the
    /// same key with a different body apart (see
    /// [`crate::delivery::body_hash`]): of the body as received.
    pub fn body_hash(&self) -> String {
        crate::delivery::body_hash(self.raw_json().as_bytes())
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_with_event_type(self.event_type(), self.raw(), serializer)
    }
}

/// An event of a type this SDK does not type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GenericEvent {
    /// The event's type.
    pub event_type: String,
    raw: RawObject,
    /// A Bullseye event's `organization_id` and `session_id`; none for
    /// other senders (their key is the body's hash).
    key: KeyFields,
}

impl GenericEvent {
    /// The key that de-duplicates this delivery (see [`Event::delivery_key`]).
    pub fn delivery_key(&self) -> String {
        self.key
            .event_key(&self.event_type, self.raw.text().as_bytes())
    }

    /// The hash kept with the delivery's claim (see [`Event::body_hash`]).
    pub fn body_hash(&self) -> String {
        crate::delivery::body_hash(self.raw.text().as_bytes())
    }

    /// A generic event of `event_type` over `text`, a JSON object the
    /// reader accepted (the Bitnob path, whose type may come from a header).
    pub(crate) fn from_checked(event_type: String, text: &str) -> Self {
        Self {
            event_type,
            raw: RawObject::new(Arc::from(text)),
            key: KeyFields::default(),
        }
    }

    /// The whole payload object.
    pub fn raw(&self) -> &Map<String, Value> {
        self.raw.object()
    }

    /// The payload's JSON text exactly as received.
    pub fn raw_json(&self) -> &str {
        self.raw.text()
    }
}

impl VisitorIdentified {
    /// The whole payload object, documented fields and others.
    pub fn raw(&self) -> &Map<String, Value> {
        self.raw.object()
    }

    /// The payload's JSON text exactly as received.
    pub fn raw_json(&self) -> &str {
        self.raw.text()
    }

    /// The documented fields whose value was not of their documented type,
    /// in document order: each typed field holds the value converted
    /// without loss, or `None`, and the mismatch keeps the value as sent.
    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }

    /// The key that de-duplicates this delivery (see [`Event::delivery_key`]).
    pub fn delivery_key(&self) -> String {
        event_key(
            self.organization_id(),
            &self.event_type,
            self.session_id(),
            self.raw.text().as_bytes(),
        )
    }

    /// The hash kept with the delivery's claim (see [`Event::body_hash`]).
    pub fn body_hash(&self) -> String {
        crate::delivery::body_hash(self.raw.text().as_bytes())
    }
}

/// What a check of an event body found, for bindings that build their own
/// objects from the verified text (JavaScript's `JSON.parse`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckedEvent {
    /// The event's type.
    pub event_type: String,
    /// The identification's mismatches (see [`Event::mismatches`]).
    pub mismatches: Vec<Mismatch>,
    key: KeyFields,
}

impl CheckedEvent {
    /// The check answer for an event of another sender (Bitnob): no
    /// mismatch, no session (its key is the body's hash).
    pub(crate) fn other_sender(event_type: String) -> Self {
        Self {
            event_type,
            mismatches: Vec::new(),
            key: KeyFields::default(),
        }
    }

    /// The key that de-duplicates this delivery (see [`Event::delivery_key`]);
    /// `body` is the body this answer was checked from (an event without a
    /// session is keyed by its hash).
    pub fn delivery_key(&self, body: &[u8]) -> String {
        self.key.event_key(&self.event_type, body)
    }
}

/// The fields of a generic event that its checks and delivery key need:
/// the timestamp, organization and session.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
struct KeptFields {
    timestamp: Option<Text>,
    organization_id: Option<Text>,
    session_id: Option<Text>,
}

/// An event body read once: its type, the mismatches, and (with `BUILD`)
/// the text the typed strings are views into. The fields go where the
/// caller says: an identification's into its record, a generic event's
/// into [`KeptFields`].
struct ReadEvent {
    event_type: String,
    mismatches: Vec<Mismatch>,
    source: Option<Arc<str>>,
}

impl ReadEvent {
    /// A body read as an identification, into `fields` (all of them with
    /// `BUILD`; the `timestamp` and the delivery key's fields always).
    fn read<const BUILD: bool>(
        text: &str,
        strict: bool,
        fields: &mut VisitorIdentified,
    ) -> Result<Self, Error> {
        let (mut event_type, mut event) = (None, None);
        let source: Option<Arc<str>> = BUILD.then(|| Arc::from(text));
        let mut reader = Reader::new(text, source.as_ref());
        reader.root(|r| {
            #[cfg_attr(target_arch = "wasm32", allow(unused_mut))]
            let mut other = |r: &mut Reader<'_>, key: &[u8]| {
                match key {
                    b"event_type" => event_type = r.type_name()?,
                    b"event" => event = r.type_name()?,
                    _ => r.skip()?,
                }
                Ok(())
            };
            // Natively the type, which payloads send first (`event` in the
            // documented example), is read before the documented order:
            // a first member out of that order sent every member after it
            // to the search by key.
            #[cfg(not(target_arch = "wasm32"))]
            {
                let mut more = r.enter_record()?;
                while more {
                    let key: &[u8] = if r.expected_member("\"event\":") {
                        b"event"
                    } else if r.expected_member("\"event_type\":") {
                        b"event_type"
                    } else {
                        break;
                    };
                    other(r, key)?;
                    more = r.after_member()?;
                }
                VisitorIdentified::members_from::<BUILD>(r, more, Some(fields), other)
            }
            #[cfg(target_arch = "wasm32")]
            VisitorIdentified::read_members::<BUILD>(r, Some(fields), other)
        })?;
        let event_type = event_type.or(event).ok_or_else(|| {
            Error::InvalidPayload(
                "the object has no `event_type` (or `event`) that is a non-empty string".to_owned(),
            )
        })?;
        let mismatches = if event_type == VISITOR_IDENTIFIED {
            reader.into_parts().0
        } else {
            Vec::new()
        };
        refuse_if_strict(strict, &mismatches)?;
        Ok(Self {
            event_type,
            mismatches,
            source,
        })
    }

    /// A body that names another type first, read as what it says it is:
    /// its type and the fields its delivery key and tolerance check need,
    /// read as the identification reads them; every other byte only
    /// checked. `None` when the body does not name another type first, or
    /// its type resolves to an identification, or to none after all (the
    /// full read answers then). Not in the size-first WASM build, which
    /// has the one read.
    #[cfg(not(target_arch = "wasm32"))]
    fn read_generic<const BUILD: bool>(text: &str) -> Result<Option<(Self, KeptFields)>, Error> {
        if !names_another_type_first(text) {
            return Ok(None);
        }
        let mut kept = KeptFields::default();
        let mut spans = Spans::new();
        let (mut event_type, mut event) = (None, None);
        let source: Option<Arc<str>> = BUILD.then(|| Arc::from(text));
        let mut reader = Reader::new(text, source.as_ref());
        reader.root(|r| {
            r.members(|r, key| {
                let spans = &mut spans;
                match key {
                    b"event_type" => event_type = r.type_name()?,
                    b"event" => event = r.type_name()?,
                    b"timestamp" => {
                        r.field::<Kept, BUILD>("timestamp", 0, Some(&mut kept.timestamp), spans)?;
                    }
                    b"organization_id" => r.field::<Kept, BUILD>(
                        "organization_id",
                        1,
                        Some(&mut kept.organization_id),
                        spans,
                    )?,
                    b"session_id" => {
                        r.field::<Kept, BUILD>("session_id", 2, Some(&mut kept.session_id), spans)?;
                    }
                    _ => r.skip()?,
                }
                Ok(())
            })
        })?;
        Ok(match event_type.or(event) {
            Some(event_type) if event_type != VISITOR_IDENTIFIED => Some((
                Self {
                    event_type,
                    mismatches: Vec::new(),
                    source,
                },
                kept,
            )),
            _ => None,
        })
    }
}

/// With a tolerance set, the `timestamp` must be within it of `now`.
fn check_timestamp(
    timestamp: Option<&str>,
    tolerance: Option<Duration>,
    now: impl FnOnce() -> SystemTime,
) -> Result<(), Error> {
    match tolerance {
        Some(tolerance) => check_tolerance(timestamp, tolerance, now()),
        None => Ok(()),
    }
}

/// The raw object of a read body: the shared text, or a copy of `text`.
fn raw_of(source: Option<Arc<str>>, text: &str) -> RawObject {
    RawObject::new(source.unwrap_or_else(|| Arc::from(text)))
}

/// A kept field's text, in `text` (the body it was read from).
fn resolved<'a>(field: Option<&'a Text>, text: &'a str) -> Option<&'a str> {
    field.map(|field| field.resolve(text))
}

/// The delivery key's fields of a read body, as views into `source` (the
/// body shared, when the event is built) or copies.
fn key_fields(
    organization_id: Option<Text>,
    session_id: Option<Text>,
    text: &str,
    source: Option<&Arc<str>>,
) -> KeyFields {
    KeyFields {
        organization_id: organization_id.map(|id| id.to_str(text, source)),
        session_id: session_id.map(|id| id.to_str(text, source)),
    }
}

/// Whether the body's first member is `event_type` or `event` with a
/// string other than an identification's: the hint to read it as a generic
/// event (the read itself decides).
#[cfg(not(target_arch = "wasm32"))]
fn names_another_type_first(text: &str) -> bool {
    // An identification named first, as Bullseye sends it: no scan (the
    // scan below answers the same for this text).
    if text.starts_with(r#"{"event":"visitor.identified""#)
        || text.starts_with(r#"{"event_type":"visitor.identified""#)
    {
        return false;
    }
    let mut scanner = Scanner::new(text);
    if scanner.kind() != Ok(Kind::Object) || !matches!(scanner.enter(0, b'{', b'}'), Ok(true)) {
        return false;
    }
    let Ok(key) = scanner.key() else {
        return false;
    };
    if !matches!(key.raw(text), "event_type" | "event") || scanner.kind() != Ok(Kind::String) {
        return false;
    }
    scanner
        .string()
        .is_ok_and(|name| !matches!(name.raw(text), VISITOR_IDENTIFIED | ""))
}

/// Turn a verified body into an [`Event`]. `now` is only called when a
/// tolerance is set.
pub(crate) fn event_from_body(
    body: &[u8],
    strict: bool,
    tolerance: Option<Duration>,
    now: impl FnOnce() -> SystemTime,
) -> Result<Event, Error> {
    let text = utf8(body)?;
    #[cfg(not(target_arch = "wasm32"))]
    if let Some((read, kept)) = ReadEvent::read_generic::<true>(text)? {
        check_timestamp(resolved(kept.timestamp.as_ref(), text), tolerance, now)?;
        let key = key_fields(
            kept.organization_id,
            kept.session_id,
            text,
            read.source.as_ref(),
        );
        return Ok(Event::Other(GenericEvent {
            event_type: read.event_type,
            raw: raw_of(read.source, text),
            key,
        }));
    }
    // Read in place: the record is large, and a move copies it.
    let mut fields = Box::<VisitorIdentified>::default();
    let read = ReadEvent::read::<true>(text, strict, &mut fields)?;
    check_timestamp(resolved(fields.timestamp.as_ref(), text), tolerance, now)?;
    if read.event_type == VISITOR_IDENTIFIED {
        fields.source = Body::new(read.source.as_ref());
        fields.raw = raw_of(read.source, text);
        fields.event_type = read.event_type;
        fields.mismatches = read.mismatches;
        Ok(Event::VisitorIdentified(fields))
    } else {
        let key = key_fields(
            fields.organization_id.take(),
            fields.session_id.take(),
            text,
            read.source.as_ref(),
        );
        Ok(Event::Other(GenericEvent {
            event_type: read.event_type,
            raw: raw_of(read.source, text),
            key,
        }))
    }
}

/// [`event_from_body`]'s checks and answers without building the event.
pub(crate) fn check_body(
    body: &[u8],
    strict: bool,
    tolerance: Option<Duration>,
    now: impl FnOnce() -> SystemTime,
) -> Result<CheckedEvent, Error> {
    let text = utf8(body)?;
    #[cfg(not(target_arch = "wasm32"))]
    if let Some((read, kept)) = ReadEvent::read_generic::<false>(text)? {
        check_timestamp(resolved(kept.timestamp.as_ref(), text), tolerance, now)?;
        return Ok(CheckedEvent {
            event_type: read.event_type,
            mismatches: read.mismatches,
            key: key_fields(kept.organization_id, kept.session_id, text, None),
        });
    }
    let mut fields = VisitorIdentified::default();
    let read = ReadEvent::read::<false>(text, strict, &mut fields)?;
    check_timestamp(resolved(fields.timestamp.as_ref(), text), tolerance, now)?;
    Ok(CheckedEvent {
        event_type: read.event_type,
        mismatches: read.mismatches,
        key: key_fields(fields.organization_id, fields.session_id, text, None),
    })
}

fn check_tolerance(
    timestamp: Option<&str>,
    tolerance: Duration,
    now: SystemTime,
) -> Result<(), Error> {
    let Some(timestamp) = timestamp else {
        return Err(Error::TimestampOutOfTolerance);
    };
    // A timestamp that cannot be read cannot be shown to be fresh.
    let signed_at = parse_rfc3339(timestamp).ok_or(Error::TimestampOutOfTolerance)?;
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::from(after.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    };
    let skew = (i128::from(signed_at) - now).unsigned_abs();
    if skew > u128::from(tolerance.as_secs()) {
        return Err(Error::TimestampOutOfTolerance);
    }
    Ok(())
}

fn serialize_with_event_type<S: Serializer>(
    event_type: &str,
    raw: &Map<String, Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // `event_type` is always the resolved type, even where the payload had
    // `"event_type": null` and named its type in `event`.
    let others = raw.iter().filter(|(key, _)| key.as_str() != "event_type");
    let mut map = serializer.serialize_map(Some(1 + others.clone().count()))?;
    map.serialize_entry("event_type", event_type)?;
    for (key, value) in others {
        map.serialize_entry(key, value)?;
    }
    map.end()
}
