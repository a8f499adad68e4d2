//! [`Str`]: the typed view's strings, read without a copy.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A string field of a payload. It dereferences to `str` (`field.as_deref()`
/// gives an `Option<&str>`), compares and hashes as its text, and serializes
/// as a string.
///
/// A string sent without escapes (nearly all of them) is a view into the
/// verified body, shared by every field of the event, so reading an event
/// copies no text. A view keeps the body alive: to keep one field after the
/// event is gone, take `field.to_string()`.
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
}
