//! [`Str`]: a string shared with the verified body, read without a copy,
//! and [`Text`]: a record's string field, a range of its body.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A string read from a payload: the documented type of a record's string
/// fields (whose accessors return `&str`), and the text the delivery keys are
/// made of. It dereferences to `str`, compares and hashes as its text, and
/// serializes as a string.
///
/// A string sent without escapes (nearly all of them) is a view into the
/// verified body, so reading it copies no text. A view keeps the body alive:
/// to keep one after the event is gone, take `text.to_string()`.
#[derive(Clone)]
pub struct Str(Repr);

#[derive(Clone)]
enum Repr {
    /// `source[start..end]`.
    Shared {
        source: Arc<str>,
        start: u32,
        end: u32,
    },
    Owned(Box<str>),
}

impl Str {
    /// `source[start..end]` without a copy (a copy past 4 GiB offsets, or
    /// should the range not lie in `source`, which the reader never asks).
    /// The reader's ranges are a string's content, between ASCII quotes, so
    /// on character boundaries: that is not checked again here (for every
    /// field), and [`Str::as_str`] reads through `get`, so a range that were
    /// not would read as empty, never as other text.
    #[inline]
    pub(crate) fn shared(source: &Arc<str>, start: usize, end: usize) -> Self {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) if start <= end && end <= source.len() => Str(Repr::Shared {
                source: Arc::clone(source),
                start: s,
                end: e,
            }),
            _ => Str::from(source.get(start..end).unwrap_or_default()),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Shared { source, start, end } => source
                .get(*start as usize..*end as usize)
                .unwrap_or_default(),
            Repr::Owned(text) => text,
        }
    }
}

/// A record's string field as it is stored: the range of the record's body
/// it was sent in, or, for a string sent with escapes (rare), its decoded
/// text. A record holds its body once (see `record!`), so a field costs no
/// reference count to build or drop; its accessor resolves it.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// `body[start..end]`.
    Span(Span),
    /// Decoded text.
    Owned(Box<str>),
}

/// A range of a body, its two `u32` ends packed in one word: made in a
/// register and stored at once. (As two `u32` fields it was stored in two
/// halves and read back whole, a store-forwarding stall at every string
/// field of a built record.)
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Span(u64);

impl Span {
    /// `start..end`, both below 4 GiB.
    #[inline(always)]
    pub fn new(start: u32, end: u32) -> Self {
        Span(u64::from(start) | (u64::from(end) << 32))
    }

    /// Where it starts.
    #[inline(always)]
    pub fn start(self) -> usize {
        (self.0 & u64::from(u32::MAX)) as usize
    }

    /// Where it ends.
    #[inline(always)]
    pub fn end(self) -> usize {
        (self.0 >> 32) as usize
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start(), self.end())
    }
}

impl Text {
    /// `body[start..end]` as a span (a copy past 4 GiB offsets). Inline:
    /// every string field of a record is one.
    #[inline(always)]
    pub(crate) fn span(body: &str, start: usize, end: usize) -> Self {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => Text::Span(Span::new(start, end)),
            _ => Self::copied(body, start, end),
        }
    }

    #[cold]
    #[inline(never)]
    fn copied(body: &str, start: usize, end: usize) -> Self {
        Text::Owned(body.get(start..end).unwrap_or_default().into())
    }

    /// The text, where the span lies in `body`. The reader's spans are a
    /// string's content, between ASCII quotes, so on character boundaries;
    /// reading through `get`, a span that were not would read as empty,
    /// never as other text or a panic.
    #[inline]
    pub(crate) fn resolve<'a>(&'a self, body: &'a str) -> &'a str {
        match self {
            Text::Span(span) => body.get(span.start()..span.end()).unwrap_or_default(),
            Text::Owned(text) => text,
        }
    }

    /// The text as a [`Str`]: a view into `source` when it is the body and
    /// this is a span, else a copy of the text in `body`.
    pub(crate) fn to_str(&self, body: &str, source: Option<&Arc<str>>) -> Str {
        match (self, source) {
            (Text::Span(span), Some(source)) => Str::shared(source, span.start(), span.end()),
            _ => Str::from(self.resolve(body)),
        }
    }
}

/// The text a record's [`Text`] spans lie in: the verified body, shared by
/// every record of the event, once a record (none when only checked).
#[derive(Clone, Default)]
pub(crate) struct Body(Option<Arc<str>>);

impl Body {
    pub(crate) fn new(source: Option<&Arc<str>>) -> Self {
        Body(source.cloned())
    }

    #[inline]
    pub(crate) fn text(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Self {
        Str(Repr::Owned(text.into()))
    }
}

impl From<String> for Str {
    fn from(text: String) -> Self {
        Str(Repr::Owned(text.into_boxed_str()))
    }
}

impl From<Str> for String {
    fn from(text: Str) -> Self {
        match text.0 {
            Repr::Owned(text) => text.into_string(),
            Repr::Shared { .. } => text.as_str().to_owned(),
        }
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Str {}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_reads_compares_and_converts_as_its_text() {
        let source: Arc<str> = Arc::from(r#"{"a":"jane@acme.example"}"#);
        let view = Str::shared(&source, 6, 23);
        assert_eq!(view, "jane@acme.example");
        assert_eq!(view, Str::from("jane@acme.example"));
        assert_eq!(
            format!("{view} {view:?}"),
            "jane@acme.example \"jane@acme.example\""
        );
        assert_eq!(String::from(view.clone()), "jane@acme.example");
        assert_eq!(Some(view).as_deref(), Some("jane@acme.example"));
        // A range that is not one of the source is copied, never a panic.
        assert_eq!(Str::shared(&source, 6, 999), "");
    }

    #[test]
    fn a_span_resolves_in_its_body_and_never_panics() {
        let body = r#"{"a":"jane@acme.example","b":"\u00e9"}"#;
        let span = Text::span(body, 6, 23);
        assert_eq!(span, Text::Span(Span::new(6, 23)));
        assert_eq!(span.resolve(body), "jane@acme.example");
        assert_eq!(Text::Owned("é".into()).resolve(body), "é");
        let source: Arc<str> = Arc::from(body);
        assert_eq!(span.to_str(body, Some(&source)), "jane@acme.example");
        assert_eq!(span.to_str(body, None), "jane@acme.example");
        // Out of range, or off a character boundary: empty, never a panic.
        assert_eq!(Text::Span(Span::new(6, 999)).resolve(body), "");
        assert_eq!(Text::Span(Span::new(1, 2)).resolve("é"), "");
    }
}
