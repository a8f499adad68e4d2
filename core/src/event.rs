//! Bullseye events: `visitor.identified`, typed, and every other type, generic.
//!
//! Parsing has two paths that must agree. The fast path deserializes the
//! documented fields straight from the text and leaves the whole object
//! unparsed until asked for. Whenever it fails, for any reason, the reference
//! path parses the whole object and reads each field strictly. That path
//! decides the error and its message, so the contract's order (`invalid_body`
//! before `invalid_payload`) and the messages never depend on the fast path.
//!
//! A third reader, the lean check of [`crate::check`], gives the reference
//! path's answer (the event's type, or the same error) from one scan with no
//! serde: [`Webhook::check_event`] uses it, for bindings that build their own
//! objects. Property tests check that all three agree.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::check;
use crate::fields::{Id, Path, field, record, wrong_type};
use crate::json::{RawObject, parse_object_text, utf8};
use crate::time::parse_rfc3339;
use crate::{Error, Webhook};

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

    /// The identification, if this is one.
    pub fn as_visitor_identified(&self) -> Option<&VisitorIdentified> {
        match self {
            Event::VisitorIdentified(e) => Some(e),
            Event::Other(_) => None,
        }
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
}

impl GenericEvent {
    /// The whole payload object.
    pub fn raw(&self) -> &Map<String, Value> {
        self.raw.object()
    }

    /// The payload's JSON text exactly as received.
    pub fn raw_json(&self) -> &str {
        self.raw.text()
    }
}

/// A `visitor.identified` event: a visitor was identified on the customer's site.
///
/// Every field either Bullseye document lists is here; absent or `null`
/// reads as `None`. Fields neither lists stay in [`VisitorIdentified::raw`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct VisitorIdentified {
    /// Always [`VISITOR_IDENTIFIED`].
    pub event_type: String,
    /// When the event occurred (RFC 3339), as sent.
    pub timestamp: Option<String>,
    /// The customer's Bullseye organization.
    pub organization_id: Option<String>,
    /// The visitor's session.
    pub session_id: Option<String>,
    /// The workspace the event belongs to (any JSON, as sent).
    pub workspace: Option<Value>,
    /// Who was identified.
    pub visitor: Option<Visitor>,
    /// The visitor's company.
    pub company: Option<Company>,
    /// Session metadata: pages, UTM parameters, referrer, device.
    pub session: Option<Session>,
    /// The pages viewed in the session.
    pub page_views: Option<Vec<PageView>>,
    #[serde(skip)]
    raw: RawObject,
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

    /// The reference reading of every documented field.
    fn from_object(event_type: String, raw: RawObject) -> Result<Self, Error> {
        let root = Path::Root;
        let object = raw.object();
        Ok(Self {
            event_type,
            timestamp: field(object, "timestamp", root)?,
            organization_id: field(object, "organization_id", root)?,
            session_id: field(object, "session_id", root)?,
            workspace: field(object, "workspace", root)?,
            visitor: field(object, "visitor", root)?,
            company: field(object, "company", root)?,
            session: field(object, "session", root)?,
            page_views: field(object, "page_views", root)?,
            raw,
        })
    }
}

record! {
    /// The root fields: what the fast path reads in one pass (unknown keys
    /// are skipped), and what the lean check reads.
    pub(crate) struct Envelope {
        event_type: String,
        event: String,
        timestamp: String,
        organization_id: String,
        session_id: String,
        workspace: Value,
        visitor: Visitor,
        company: Company,
        session: Session,
        page_views: Vec<PageView>,
    }
}

record! {
    /// The identified person.
    pub struct Visitor {
        /// Bullseye's visitor id (an integer is read as its decimal text).
        id: String as Id,
        /// Work email.
        email: String,
        /// Personal email.
        personal_email: String,
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// Job title.
        job_title: String,
        /// Phone number.
        phone: String,
        /// Location, as Bullseye formats it.
        location: String,
        /// Photo URL.
        photo_url: String,
        /// LinkedIn profile URL.
        linkedin_url: String,
        /// Facebook profile URL.
        facebook_url: String,
        /// Twitter profile URL.
        twitter_url: String,
        /// Street address.
        address: String,
        /// City.
        city: String,
        /// State or region.
        state: String,
        /// Postal code.
        postal_code: String,
        /// Gender.
        gender: String,
        /// Age range.
        age_range: String,
        /// Income range.
        income_range: String,
        /// Net worth range.
        net_worth: String,
        /// Homeowner status.
        homeowner: bool,
        /// Marital status.
        married: bool,
        /// Children.
        children: bool,
        /// Ideal-customer-profile match.
        icp: Value,
        /// ICP statuses.
        icp_statuses: Value,
        /// Persona match.
        persona_match: Value,
        /// When Bullseye first saw this visitor.
        created_at: String,
        /// When Bullseye last saw this visitor.
        last_seen_at: String,
    }
}

record! {
    /// The visitor's company.
    pub struct Company {
        /// Bullseye's company id (an integer is read as its decimal text).
        id: String as Id,
        /// Name.
        name: String,
        /// Web domain.
        domain: String,
        /// Industry.
        industry: String,
        /// Size band.
        size: String,
        /// Number of employees.
        employee_count: i64,
        /// Employee size range.
        employee_size_range: String,
        /// Revenue range.
        revenue_range: String,
        /// Location.
        location: String,
        /// LinkedIn URL.
        linkedin_url: String,
        /// Website URL.
        website_url: String,
        /// Description.
        description: String,
        /// Logo URL.
        logo_url: String,
        /// Street address.
        address: String,
        /// City.
        city: String,
        /// Region or state.
        region: String,
        /// Postal code.
        postal_code: String,
    }
}

record! {
    /// Session metadata.
    pub struct Session {
        /// When the session started.
        created_at: String,
        /// First page of the session.
        landing_page: String,
        /// Entry page.
        entry_page: String,
        /// Exit page.
        exit_page: String,
        /// Pages visited.
        pages_visited: i64,
        /// Referrer.
        referrer: String,
        /// Device type.
        device_type: String,
        /// Whether this was the visitor's first visit.
        first_visit: bool,
        /// utm_source.
        utm_source: String,
        /// utm_campaign.
        utm_campaign: String,
        /// utm_medium.
        utm_medium: String,
        /// utm_term.
        utm_term: String,
        /// utm_content.
        utm_content: String,
        /// Campaign name.
        campaign_name: String,
        /// Campaign source.
        campaign_source: String,
        /// Campaign medium.
        campaign_medium: String,
        /// Campaign term.
        campaign_term: String,
        /// Campaign content.
        campaign_content: String,
        /// Search term.
        search_term: String,
        /// Search engine.
        search_engine: String,
        /// Country.
        country: String,
        /// Region.
        region: String,
        /// City.
        city: String,
        /// All tracking parameters.
        tracking_params: Value,
    }
}

record! {
    /// One page view of the session.
    pub struct PageView {
        /// The page's URL.
        url: String,
        /// When it was viewed.
        visited_at: String,
    }
}

/// The type named by `event_type`, or by `event` when `event_type` is absent.
fn event_type_of(object: &Map<String, Value>) -> Result<String, Error> {
    let key = match object.get("event_type") {
        None | Some(Value::Null) => "event",
        Some(_) => "event_type",
    };
    match object.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(Error::InvalidPayload(
            "the object has no `event_type` (or `event`) key".to_owned(),
        )),
        Some(other) => Err(wrong_type(Path::Key(&Path::Root, key), "a string", other)),
    }
}

/// Turn a verified body into an [`Event`]. The tolerance check needs the
/// time, so `now` is only called when a tolerance is set.
pub(crate) fn event_from_body(
    body: &[u8],
    tolerance: Option<Duration>,
    now: impl FnOnce() -> SystemTime,
) -> Result<Event, Error> {
    let text = utf8(body)?;
    #[cfg(feature = "fast-path")]
    let fast = fast_path(text);
    #[cfg(not(feature = "fast-path"))]
    let fast = None;
    let (event, timestamp) = match fast {
        Some((event, timestamp)) => (event, Ok(timestamp)),
        None => reference_path(text)?,
    };
    check_tolerance_if_set(timestamp, tolerance, now)?;
    Ok(event)
}

/// [`event_from_body`]'s answer without building the event: its type, or
/// the same error. Allocates nothing on the common path.
pub(crate) fn event_type_from_body(
    body: &[u8],
    tolerance: Option<Duration>,
    now: impl FnOnce() -> SystemTime,
) -> Result<String, Error> {
    let checked = check::event(utf8(body)?)?;
    check_tolerance_if_set(checked.timestamp, tolerance, now)?;
    Ok(checked.event_type)
}

fn check_tolerance_if_set<T: AsRef<str>>(
    timestamp: Result<Option<T>, Error>,
    tolerance: Option<Duration>,
    now: impl FnOnce() -> SystemTime,
) -> Result<(), Error> {
    match tolerance {
        // A non-string timestamp only matters when there is a time check.
        Some(tolerance) => {
            check_tolerance(timestamp?.as_ref().map(AsRef::as_ref), tolerance, now())
        }
        None => Ok(()),
    }
}

/// The event and its `timestamp` string, when the fast path can read them.
#[cfg(feature = "fast-path")]
fn fast_path(text: &str) -> Option<(Event, Option<String>)> {
    // serde_json's own recursion limit (127 levels) keeps this pass bounded;
    // anything deeper goes to the reference path, which applies the exact limit.
    let envelope: Envelope = serde_json::from_str(text).ok()?;
    let event_type = envelope.event_type.or(envelope.event)?;
    let raw = RawObject::unparsed(text);
    let timestamp = envelope.timestamp;
    let event = if event_type == VISITOR_IDENTIFIED {
        Event::VisitorIdentified(Box::new(VisitorIdentified {
            event_type,
            timestamp: timestamp.clone(),
            organization_id: envelope.organization_id,
            session_id: envelope.session_id,
            workspace: envelope.workspace,
            visitor: envelope.visitor,
            company: envelope.company,
            session: envelope.session,
            page_views: envelope.page_views,
            raw,
        }))
    } else {
        Event::Other(GenericEvent { event_type, raw })
    };
    Some((event, timestamp))
}

/// Parse the whole object, then read each field strictly: the definition of
/// every answer, errors included.
/// The timestamp comes back as a result: its type is only an error when a
/// tolerance is set.
type Timestamp = Result<Option<String>, Error>;

fn reference_path(text: &str) -> Result<(Event, Timestamp), Error> {
    let object = parse_object_text(text)?;
    let event_type = event_type_of(&object)?;
    let timestamp = match object.get("timestamp") {
        Some(Value::String(s)) => Some(Ok(s.clone())),
        None | Some(Value::Null) => None,
        Some(other) => Some(Err(wrong_type(
            Path::Key(&Path::Root, "timestamp"),
            "a string",
            other,
        ))),
    };
    let raw = RawObject::parsed(text, object);
    let event = if event_type == VISITOR_IDENTIFIED {
        Event::VisitorIdentified(Box::new(VisitorIdentified::from_object(event_type, raw)?))
    } else {
        Event::Other(GenericEvent { event_type, raw })
    };
    Ok((event, timestamp.transpose()))
}

fn check_tolerance(
    timestamp: Option<&str>,
    tolerance: Duration,
    now: SystemTime,
) -> Result<(), Error> {
    let Some(timestamp) = timestamp else {
        return Err(Error::TimestampOutOfTolerance);
    };
    let signed_at = parse_rfc3339(timestamp).ok_or_else(|| {
        Error::InvalidPayload("`timestamp` is not an RFC 3339 date-time".to_owned())
    })?;
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

impl Webhook {
    /// Verify `signature` over the raw `body`, then parse it into an [`Event`].
    ///
    /// Errors follow the contract's order: the [`Webhook::verify`] errors,
    /// then `invalid_body`, `invalid_payload`, and (with a tolerance set)
    /// `timestamp_out_of_tolerance`, which is also the answer when a
    /// tolerance is set and the payload has no `timestamp`.
    pub fn construct_event(&self, body: &[u8], signature: &str) -> Result<Event, Error> {
        self.verify(body, signature)?;
        event_from_body(body, self.tolerance(), SystemTime::now)
    }

    /// [`Webhook::construct_event`]'s answer without building the event:
    /// the same checks and the same errors, and on success the event's type.
    /// For bindings that build their own object from the verified text
    /// (JavaScript's `JSON.parse`); allocates nothing on the common path.
    pub fn check_event(&self, body: &[u8], signature: &str) -> Result<String, Error> {
        self.verify(body, signature)?;
        event_type_from_body(body, self.tolerance(), SystemTime::now)
    }

    /// [`Webhook::check_event`] with the tolerance measured from `now`.
    pub fn check_event_at(
        &self,
        body: &[u8],
        signature: &str,
        now: SystemTime,
    ) -> Result<String, Error> {
        self.verify(body, signature)?;
        event_type_from_body(body, self.tolerance(), || now)
    }

    /// [`Webhook::construct_event`] with the tolerance measured from `now`
    /// instead of the system clock (tests, replays, and platforms without
    /// a clock, such as `wasm32-unknown-unknown`).
    pub fn construct_event_at(
        &self,
        body: &[u8],
        signature: &str,
        now: SystemTime,
    ) -> Result<Event, Error> {
        self.verify(body, signature)?;
        event_from_body(body, self.tolerance(), || now)
    }
}

#[cfg(test)]
#[cfg(feature = "fast-path")]
mod tests {
    use super::{fast_path, reference_path};
    use crate::check;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// The lean check gives exactly the reference path's answer, errors
    /// included. The fast path may decline, but when it answers it must
    /// give exactly the reference path's answer.
    pub(crate) fn assert_paths_agree(text: &str) {
        let lean = check::event(text).map(|checked| {
            (
                checked.event_type,
                checked.timestamp.map(|t| t.map(|t| t.into_owned())),
            )
        });
        let reference = reference_path(text)
            .map(|(event, timestamp)| (event.event_type().to_owned(), timestamp));
        assert_eq!(lean, reference, "{text}");
        if let Some((event, timestamp)) = fast_path(text) {
            let (reference, reference_timestamp) = reference_path(text).unwrap_or_else(|e| {
                panic!("fast path accepted what the reference refuses ({e}): {text}")
            });
            assert_eq!(event, reference, "{text}");
            assert_eq!(Ok(timestamp), reference_timestamp, "{text}");
            assert_eq!(event.raw(), reference.raw(), "{text}");
        }
    }

    #[test]
    fn the_fast_path_reads_the_fixture_payloads() {
        for name in [
            "identification-event.json",
            "identification-event-type.json",
            "generic-test-event.json",
        ] {
            let path = format!("{}/../fixtures/payloads/{name}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            assert!(
                fast_path(&text).is_some(),
                "{name} fell back to the reference path"
            );
            assert_paths_agree(&text);
        }
    }

    #[test]
    fn paths_agree_on_tricky_documents() {
        for text in [
            r#"{"event":"visitor.identified","visitor":["vis_1","a@b.example"]}"#,
            r#"{"event":"visitor.identified","page_views":[["u","t"]]}"#,
            r#"{"event":"visitor.identified","visitor":{"email":"a","email":"b"}}"#,
            r#"{"event":"visitor.identified","visitor":{"email":5,"email":"b"}}"#,
            r#"{"event":"visitor.identified","visitor":{"em\u0061il":"x"}}"#,
            r#"{"event":"visitor.identified","visitor":{"id":42}}"#,
            r#"{"event":"visitor.identified","company":{"employee_count":3.0}}"#,
            r#"{"event":"visitor.identified","company":{"employee_count":18446744073709551615}}"#,
            r#"{"event":"visitor.identified","x":"\ud800"}"#,
            r#"{"event":"visitor.identified","x":1e400}"#,
            r#"{"event":"billing.x","visitor":"text","timestamp":5}"#,
            r#"{"event_type":null,"event":"visitor.identified"}"#,
            r#"{"event_type":"a","event":{"nested":true}}"#,
            r#"["visitor.identified"]"#,
            r#"{"event":"visitor.identified"} "#,
        ] {
            assert_paths_agree(text);
        }
        let deep = format!(
            "{{\"event\":\"d\",\"x\":{}{}}}",
            "[".repeat(130),
            "]".repeat(130)
        );
        assert_paths_agree(&deep);
    }

    fn arbitrary_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z0-9.:-]{0,10}".prop_map(Value::from),
            Just(json!("visitor.identified")),
            Just(json!("2025-01-15T10:30:00Z")),
        ];
        let key = prop_oneof![
            Just("event"),
            Just("event_type"),
            Just("timestamp"),
            Just("workspace"),
            Just("visitor"),
            Just("company"),
            Just("session"),
            Just("page_views"),
            Just("id"),
            Just("email"),
            Just("employee_count"),
            Just("first_visit"),
            Just("homeowner"),
            Just("url"),
            Just("visited_at"),
            Just("other"),
        ]
        .prop_map(str::to_owned);
        leaf.prop_recursive(4, 64, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn paths_agree_on_arbitrary_payloads(value in arbitrary_value(), identified in any::<bool>()) {
            let value = match value {
                Value::Object(mut map) if identified => {
                    map.insert("event".to_owned(), json!("visitor.identified"));
                    Value::Object(map)
                }
                other => other,
            };
            assert_paths_agree(&value.to_string());
        }
    }
}
