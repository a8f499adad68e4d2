//! The one answer both JavaScript packages read from a checked event or
//! visit, and the JSON text it crosses into JavaScript as.
//!
//! The text carries what the check found, not the body: JavaScript parses
//! the body it already holds (the text it was given, or its bytes decoded)
//! and writes `event_type` in. Writing the body into the answer cost a copy
//! in Rust, a ~3 KB string crossing and its decode on every event, and was
//! the slowest part of the async path after the core's read
//! (bench/PROFILE.md, "The async path after the MAC").

use bullseye_webhooks::{CheckedEvent, CheckedVisit, Mismatch, mismatches_json};

/// A checked event or visit, as JavaScript takes it (each field is a
/// property of the JSON object [`Answer::to_json`] writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The event's type (`eventType`); for a visit, `None` (`null`) when it
    /// names none.
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
}

impl Answer {
    /// The answer for `checked`, checked from `body`.
    pub fn event(checked: CheckedEvent, body: &[u8]) -> Self {
        Self {
            delivery_key: checked.delivery_key(body),
            event_type: Some(checked.event_type),
            mismatches: checked.mismatches,
            typings_json: None,
        }
    }

    /// The answer for the visit `checked`, checked from `body`.
    pub fn visit(checked: CheckedVisit, body: &[u8]) -> Self {
        let delivery_key = checked.delivery_key(body);
        let typings = checked.typings_json;
        Self {
            delivery_key,
            event_type: checked.event_type,
            mismatches: checked.mismatches,
            typings_json: (typings != "[]").then_some(typings),
        }
    }

    /// The answer as the JSON text JavaScript parses: `{"deliveryKey": …,
    /// "eventType": … or null, "mismatches": […], "typings": […]}`
    /// (`mismatches` and `typings` only when there are any). JavaScript
    /// sets `event_type` on the parsed body as `JSON.parse` would a member
    /// appended to it: the value replaces a sent `event_type` in its
    /// place, or becomes the last key.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("{\"deliveryKey\":");
        push_json_string(&mut out, &self.delivery_key);
        out.push_str(",\"eventType\":");
        match &self.event_type {
            Some(event_type) => push_json_string(&mut out, event_type),
            None => out.push_str("null"),
        }
        if !self.mismatches.is_empty() {
            out.push_str(",\"mismatches\":");
            out.push_str(&mismatches_json(&self.mismatches));
        }
        if let Some(typings) = &self.typings_json {
            out.push_str(",\"typings\":");
            out.push_str(typings);
        }
        out.push('}');
        out
    }
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

    #[test]
    fn strings_are_escaped_as_json() {
        let mut out = String::new();
        push_json_string(&mut out, "q\"b\\n\n\u{1f}é\u{7f}");
        assert_eq!(out, "\"q\\\"b\\\\n\\u000a\\u001fé\u{7f}\"");
    }
}
