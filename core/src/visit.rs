//! fingerprinting-api visits (`NEW_VISIT`, `NEW_VISITOR`).
//!
//! The tracker sends numbers and booleans as strings (`"6"`, `"true"`). The
//! typed view converts them inside the descriptive objects (`location`,
//! `trafficSource`, `device`, `browser`, `timezone`, `screen`,
//! `visitor.firstSeen`) by one rule, the same in every language:
//!
//! - `"true"` / `"false"` become booleans;
//! - a string of decimal digits with an optional leading `-`, no leading zero
//!   (except `"0"`), that fits a signed 64-bit integer becomes an integer;
//! - everything else is left as sent.
//!
//! Identifiers, URLs, dates, IPs and `params` are never converted (an id of
//! `"0123"` or `"42"` stays a string), and the original object is always
//! available from [`Visit::raw`].

use serde_json::{Map, Value};

use crate::fields::{FromJson, Id, Path, field, record, wrong_type};
use crate::json::parse_object;
use crate::{DEFAULT_MAX_BODY_BYTES, Error, Webhook};

/// The keys a visit names its type with, in order of preference.
pub(crate) const VISIT_TYPE_KEYS: [&str; 3] = ["event_type", "event", "type"];

/// The header fingerprinting-api's documentation suggests for the user-set signature.
pub const VISIT_SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// A fingerprinting-api visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Visit {
    /// `NEW_VISIT` or `NEW_VISITOR` when the payload names its type (in
    /// `event_type`, `event` or `type`); `None` when it does not.
    pub event_type: Option<String>,
    /// The visit's id (an integer is read as its decimal text).
    pub id: Option<String>,
    /// The visited URL.
    pub url: Option<String>,
    /// The URL's parameters, as sent.
    pub params: Option<Value>,
    /// The referrer.
    pub referrer: Option<String>,
    /// When the visit happened, as sent.
    pub date: Option<String>,
    /// The visitor's IP address.
    pub ip: Option<String>,
    /// The visitor.
    pub visitor: Option<VisitVisitor>,
    /// Geolocation, typed.
    pub location: Option<Value>,
    /// Where the visit came from, typed.
    #[serde(rename = "trafficSource")]
    pub traffic_source: Option<Value>,
    /// The device, typed.
    pub device: Option<Value>,
    /// The browser, typed.
    pub browser: Option<Value>,
    /// The time zone, typed.
    pub timezone: Option<Value>,
    /// The screen, typed.
    pub screen: Option<Value>,
    #[serde(skip)]
    raw: Map<String, Value>,
}

/// The visitor of a [`Visit`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct VisitVisitor {
    /// The visitor's id (an integer is read as its decimal text).
    pub id: Option<String>,
    /// `firstSeen`, typed.
    #[serde(rename = "firstSeen")]
    pub first_seen: Option<Value>,
    /// The visitor's company.
    pub company: Option<VisitCompany>,
}

record! {
    /// The company of a visit's visitor.
    pub struct VisitCompany {
        /// Name.
        name: String,
        /// Web domain.
        domain: String,
    }
}

/// A descriptive value: any JSON, with string-encoded scalars typed.
struct Typed(Value);

impl FromJson for Typed {
    fn from_json(value: &Value, _path: Path<'_>) -> Result<Self, Error> {
        Ok(Typed(typed(value)))
    }
}

/// An object-or-absent field that must be an object when present.
struct Object<'a>(&'a Map<String, Value>);

fn id(object: &Map<String, Value>, key: &str, parent: Path<'_>) -> Result<Option<String>, Error> {
    Ok(field::<Id>(object, key, parent)?.map(String::from))
}

fn typed_field(
    object: &Map<String, Value>,
    key: &str,
    parent: Path<'_>,
) -> Result<Option<Value>, Error> {
    Ok(field::<Typed>(object, key, parent)?.map(|Typed(v)| v))
}

fn object<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    parent: Path<'_>,
) -> Result<Option<Object<'a>>, Error> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(Object(map))),
        Some(other) => Err(wrong_type(Path::Key(&parent, key), "an object", other)),
    }
}

/// The typed view of a descriptive value (see the module docs for the rule).
pub(crate) fn typed(value: &Value) -> Value {
    match value {
        Value::String(s) => typed_scalar(s).unwrap_or_else(|| value.clone()),
        Value::Array(items) => Value::Array(items.iter().map(typed).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), typed(v))).collect())
        }
        other => other.clone(),
    }
}

fn typed_scalar(s: &str) -> Option<Value> {
    scalar(s).map(|scalar| match scalar {
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Integer(n) => Value::from(n),
    })
}

/// A string-encoded scalar, typed.
pub(crate) enum Scalar {
    Bool(bool),
    /// An integer; the string was its canonical decimal text.
    Integer(i64),
}

/// The typing rule for one string (see the module docs).
pub(crate) fn scalar(s: &str) -> Option<Scalar> {
    match s {
        "true" => return Some(Scalar::Bool(true)),
        "false" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if !canonical {
        return None;
    }
    s.parse::<i64>().ok().map(Scalar::Integer)
}

impl Visit {
    /// The whole payload object as received, untyped.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    fn from_object(raw: Map<String, Value>) -> Result<Self, Error> {
        let root = Path::Root;
        let event_type = VISIT_TYPE_KEYS
            .iter()
            .find_map(|key| match raw.get(*key) {
                None | Some(Value::Null) => None,
                Some(value) => Some(
                    value
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| wrong_type(Path::Key(&root, key), "a string", value)),
                ),
            })
            .transpose()?;
        let visitor = match object(&raw, "visitor", root)? {
            None => None,
            Some(Object(map)) => {
                let path = Path::Key(&root, "visitor");
                Some(VisitVisitor {
                    id: id(map, "id", path)?,
                    first_seen: typed_field(map, "firstSeen", path)?,
                    company: field(map, "company", path)?,
                })
            }
        };
        Ok(Self {
            event_type,
            id: id(&raw, "id", root)?,
            url: field(&raw, "url", root)?,
            params: field(&raw, "params", root)?,
            referrer: field(&raw, "referrer", root)?,
            date: field(&raw, "date", root)?,
            ip: field(&raw, "ip", root)?,
            visitor,
            location: typed_field(&raw, "location", root)?,
            traffic_source: typed_field(&raw, "trafficSource", root)?,
            device: typed_field(&raw, "device", root)?,
            browser: typed_field(&raw, "browser", root)?,
            timezone: typed_field(&raw, "timezone", root)?,
            screen: typed_field(&raw, "screen", root)?,
            raw,
        })
    }
}

/// Parse a fingerprinting-api visit, refusing bodies over
/// [`DEFAULT_MAX_BODY_BYTES`] first. It checks no signature: use
/// [`Webhook::construct_visit`] for a delivery from the network.
pub fn parse_visit(body: &[u8]) -> Result<Visit, Error> {
    if body.len() > DEFAULT_MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge {
            limit: DEFAULT_MAX_BODY_BYTES,
            actual: body.len(),
        });
    }
    Visit::from_object(parse_object(body)?)
}

impl Webhook {
    /// Check a visit's `X-Webhook-Signature` (static token or HMAC, see
    /// [`Webhook::verify_visit_signature`]), then parse it, with this
    /// verifier's body size limit.
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<Visit, Error> {
        self.verify_visit_signature(body, signature)?;
        Visit::from_object(parse_object(body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::typed;
    use serde_json::json;

    #[test]
    fn typing_rule() {
        let sent = json!({
            "a": "6", "b": "true", "c": "false", "d": "-12", "e": "0", "f": "0123",
            "g": "1.5", "h": "-0", "i": "99999999999999999999", "j": "True", "k": "",
            "l": ["7", {"m": "false"}], "n": 3, "o": null
        });
        let expected = json!({
            "a": 6, "b": true, "c": false, "d": -12, "e": 0, "f": "0123",
            "g": "1.5", "h": "-0", "i": "99999999999999999999", "j": "True", "k": "",
            "l": [7, {"m": false}], "n": 3, "o": null
        });
        assert_eq!(typed(&sent), expected);
    }
}
