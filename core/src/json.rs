//! Turning raw bytes into a JSON object, with the body checks of the
//! contract, and any-JSON values built from text the scanner accepted.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use crate::error::Error;
use crate::scan::{self, MAX_JSON_DEPTH};

/// A payload object: its text exactly as received, and the parsed object,
/// built on first use (the typed view never needs it).
#[derive(Clone, Default)]
pub(crate) struct RawObject {
    text: Arc<str>,
    parsed: OnceLock<Map<String, Value>>,
}

impl RawObject {
    /// A raw object for text the reader accepted as a JSON object (shared
    /// with the typed view's strings).
    pub(crate) fn new(text: Arc<str>) -> Self {
        Self {
            text,
            parsed: OnceLock::new(),
        }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn object(&self) -> &Map<String, Value> {
        // Any-JSON, asked for: serde_json builds it from the accepted text.
        self.parsed.get_or_init(|| parse_map(&self.text))
    }
}

impl PartialEq for RawObject {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Debug for RawObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawObject({} bytes)", self.text.len())
    }
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

/// The body as UTF-8 text, or `invalid_body`.
pub(crate) fn utf8(body: &[u8]) -> Result<&str, Error> {
    // Natively the check is simdutf8's; std's, which says where the text
    // stops being UTF-8, only words a refusal (the same message either way).
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(text) = simdutf8::basic::from_utf8(body) {
        return Ok(text);
    }
    std::str::from_utf8(body).map_err(|e| {
        Error::InvalidBody(format!(
            "the body is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// `invalid_body` for text nested deeper than [`MAX_JSON_DEPTH`]. Measured
/// before parsing, so the limit is exact and no parser's own recursion limit
/// is what decides.
pub(crate) fn check_depth(text: &str) -> Result<(), Error> {
    if exceeds_depth(text.as_bytes(), MAX_JSON_DEPTH) {
        return Err(Error::InvalidBody(format!(
            "the JSON is nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    Ok(())
}

/// `invalid_body` for text that stops being JSON at byte `offset`; every
/// path reports the scanner's position, so the message is the same
/// whichever path found the error.
pub(crate) fn not_json(text: &str, offset: usize) -> Error {
    let (line, column) = scan::line_and_column(text, offset);
    Error::InvalidBody(format!(
        "the body is not valid JSON (line {line}, column {column})"
    ))
}

/// `invalid_body` for JSON that is not an object (`kind` in words).
pub(crate) fn not_an_object(kind: &str) -> Error {
    Error::InvalidBody(format!(
        "the body is JSON but not an object (it is {kind}); \
         pass the raw request body, not a parsed or re-encoded one"
    ))
}

/// Whether brackets outside strings nest deeper than `limit`. Malformed JSON
/// is left for the parser to report.
fn exceeds_depth(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    /// The reader's body checks, through the smallest API that reads one.
    fn parse_object(body: &[u8]) -> Result<(), crate::Error> {
        crate::parse_visit(body).map(drop)
    }

    /// `depth` levels: depth-1 objects around one empty array.
    fn nested(depth: usize) -> String {
        format!("{}[]{}", "{\"a\":".repeat(depth - 1), "}".repeat(depth - 1))
    }

    #[test]
    fn depth_128_is_accepted_and_129_refused() {
        assert!(parse_object(nested(128).as_bytes()).is_ok());
        let err = parse_object(nested(129).as_bytes()).unwrap_err();
        assert_eq!(err.code(), "invalid_body");
        assert!(err.to_string().contains("deeper than 128"), "{err}");
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let body = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(500), "{".repeat(500));
        assert!(parse_object(body.as_bytes()).is_ok());
    }

    #[test]
    fn a_hundred_thousand_open_brackets_do_not_overflow() {
        let body = "[".repeat(100_000);
        assert_eq!(
            parse_object(body.as_bytes()).unwrap_err().code(),
            "invalid_body"
        );
    }
}
