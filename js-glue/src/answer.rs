//! The one answer both JavaScript packages read from a checked event or
//! visit, and the JSON text it crosses into JavaScript as.
//!
//! The text carries the verified body itself, with `event_type` written
//! into it, so JavaScript's `JSON.parse` of this one text is the only second
//! look at the body: it builds the event (or the visit and its `raw` copy)
//! and the answer's other fields in one call, with no second decode of the
//! body and no property added afterwards.

use bullseye_webhooks::{CheckedEvent, CheckedVisit, Mismatch, mismatches_json};

/// A checked event or visit, as JavaScript takes it (each field is a
/// property of the JSON object [`Answer::to_json`] writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'b> {
    /// The event's type; for a visit, `None` when it names none.
    pub event_type: Option<String>,
    /// The key that de-duplicates the delivery (`deliveryKey`).
    pub delivery_key: String,
    /// The documented fields sent with another JSON type (`mismatches`, as
    /// the core's `mismatches_json`: `[[path, expected, found, typed], ...]`;
    /// absent when there are none).
    pub mismatches: Vec<Mismatch>,
    /// A visit's typings, the core's `typings_json` (`typings`; absent for
    /// an event and when there are none).
    pub typings_json: Option<String>,
    /// The verified body (`payload`, with `event_type` set; for a visit
    /// `raw` too, the object as sent).
    pub body: &'b str,
    /// Whether this is a visit (which also carries `raw`).
    pub visit: bool,
}

impl<'b> Answer<'b> {
    /// The answer for `checked`, checked from `body`.
    pub fn event(checked: CheckedEvent, body: &'b [u8]) -> Self {
        Self {
            delivery_key: checked.delivery_key(body),
            event_type: Some(checked.event_type),
            mismatches: checked.mismatches,
            typings_json: None,
            body: verified_text(body),
            visit: false,
        }
    }

    /// The answer for the visit `checked`, checked from `body`.
    pub fn visit(checked: CheckedVisit, body: &'b [u8]) -> Self {
        let delivery_key = checked.delivery_key(body);
        let typings = checked.typings_json;
        Self {
            delivery_key,
            event_type: checked.event_type,
            mismatches: checked.mismatches,
            typings_json: (typings != "[]").then_some(typings),
            body: verified_text(body),
            visit: true,
        }
    }

    /// The answer as the JSON text JavaScript parses: `{"deliveryKey": …,
    /// "mismatches": […], "typings": […], "payload": {…}, "raw": {…}}`
    /// (`mismatches` and `typings` only when there are any, `raw` only for
    /// a visit). `payload` is the body with `"event_type"` appended, which
    /// `JSON.parse` reads as assigning it: the value replaces a sent
    /// `event_type` in its place, or becomes the last key.
    pub fn to_json(&self) -> String {
        let raw_len = if self.visit { self.body.len() } else { 0 };
        let mut out = String::with_capacity(self.body.len() + raw_len + 128);
        out.push_str("{\"deliveryKey\":");
        push_json_string(&mut out, &self.delivery_key);
        if !self.mismatches.is_empty() {
            out.push_str(",\"mismatches\":");
            out.push_str(&mismatches_json(&self.mismatches));
        }
        if let Some(typings) = &self.typings_json {
            out.push_str(",\"typings\":");
            out.push_str(typings);
        }
        out.push_str(",\"payload\":");
        push_with_event_type(&mut out, self.body, self.event_type.as_deref());
        if self.visit {
            out.push_str(",\"raw\":");
            out.push_str(self.body);
        }
        out.push('}');
        out
    }
}

/// The body the core has verified as UTF-8 JSON, as text. (The core
/// checked it; an impossible failure reads as an empty text, which
/// JavaScript's `JSON.parse` refuses rather than anything being invented.)
fn verified_text(body: &[u8]) -> &str {
    std::str::from_utf8(body).unwrap_or_default()
}

/// The JSON object `object` with `"event_type": event_type` (or `null`)
/// added as its last member.
fn push_with_event_type(out: &mut String, object: &str, event_type: Option<&str>) {
    let Some(members) = object.trim_ascii_end().strip_suffix('}') else {
        // Not an object: the core refuses those before answering.
        out.push_str(object);
        return;
    };
    out.push_str(members);
    // A member's value never ends with `{`: only an empty object does.
    if !members.trim_ascii_end().ends_with('{') {
        out.push(',');
    }
    out.push_str("\"event_type\":");
    match event_type {
        Some(event_type) => push_json_string(out, event_type),
        None => out.push_str("null"),
    }
    out.push('}');
}

/// `text` as a JSON string.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{0}'..='\u{1f}' => {
                let code = u32::from(c);
                out.push_str("\\u00");
                for digit in [code >> 4, code & 0xf] {
                    out.push(char::from_digit(digit, 16).unwrap_or('0'));
                }
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_event_type(object: &str, event_type: Option<&str>) -> String {
        let mut out = String::new();
        push_with_event_type(&mut out, object, event_type);
        out
    }

    #[test]
    fn event_type_is_appended_as_the_last_member() {
        assert_eq!(
            with_event_type(" { } \n", Some("a")),
            r#" { "event_type":"a"}"#
        );
        assert_eq!(
            with_event_type(r#"{"event_type":null,"b":{}}"#, None),
            r#"{"event_type":null,"b":{},"event_type":null}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_json() {
        let mut out = String::new();
        push_json_string(&mut out, "q\"b\\n\n\u{1f}é\u{7f}");
        assert_eq!(out, "\"q\\\"b\\\\n\\u000a\\u001fé\u{7f}\"");
    }
}
