//! A strict JSON scanner with no allocation and no serde.
//!
//! It accepts exactly the texts the reference parser accepts (serde_json
//! reading a `Value`, with the depth limit checked first): RFC 8259, paired
//! surrogate escapes only, and no number that overflows an `f64`, decided by
//! serde_json's own arithmetic. It is the only parser of the crate: the
//! reader of [`crate::schema`] stands on it, and serde_json only builds the
//! any-JSON values a user asks for from text it accepted (the WASM build
//! links no serde_json parser). Differential tests and the fuzz targets hold
//! it to serde_json's answers.

mod bytes;
mod number;
mod string;

pub(crate) use bytes::same_bytes;

/// The deepest nesting of arrays and objects accepted in a body.
pub const MAX_JSON_DEPTH: usize = 128;

/// Where a text stops being JSON: the byte offset at which the scanner
/// found it invalid (the end of the text when it stops early).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid(pub(crate) usize);

/// A JSON value's kind, named as error messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    /// The kind in words, for messages that must not echo the value itself.
    pub(crate) fn described(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// How the reference parser reads a number literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Number {
    /// An integer literal that fits a `u64` or an `i64`.
    Integer(i128),
    /// Anything else (a fraction, an exponent, `-0`, a larger integer).
    Float,
}

/// A string: the byte range of its content, between the quotes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether the content has escapes (it must be decoded to be read).
    pub(crate) escaped: bool,
}

/// A cursor over a UTF-8 text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn invalid(&self) -> Invalid {
        Invalid(self.pos)
    }

    /// Consume `byte`, or fail here.
    fn expect(&mut self, byte: u8) -> Result<(), Invalid> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.invalid())
        }
    }

    #[inline(always)]
    pub(crate) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// After the value: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), Invalid> {
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(self.invalid())
        }
    }

    /// The kind of the value at the cursor, after whitespace, by its first byte.
    // This and the other small steps (enter, after, key, string) are inline
    // in the WASM build too: a call each cost its check about 13% more
    // instructions, for 0.5 KB less gzipped (bindings-wasm/README.md).
    #[inline(always)]
    pub(crate) fn kind(&mut self) -> Result<Kind, Invalid> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => Ok(Kind::String),
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b't' | b'f') => Ok(Kind::Bool),
            Some(b'n') => Ok(Kind::Null),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            _ => Err(self.invalid()),
        }
    }

    /// Check and pass any value; `depth` is the number of arrays and
    /// objects around it.
    pub(crate) fn value(&mut self, depth: usize) -> Result<Kind, Invalid> {
        let kind = self.kind()?;
        match kind {
            Kind::String => self.string().map(drop)?,
            Kind::Number => self.number().map(drop)?,
            Kind::Null => self.literal(b"null")?,
            Kind::Bool if self.peek() == Some(b't') => self.literal(b"true")?,
            Kind::Bool => self.literal(b"false")?,
            Kind::Array => self.array(depth, |scanner, _| scanner.element(depth + 1))?,
            Kind::Object => self.object(depth, |scanner, _| scanner.element(depth + 1))?,
        }
        Ok(kind)
    }

    /// An item's or member's value: natively a string inline (the common
    /// case, with no call), anything else through [`Scanner::value`].
    #[inline(always)]
    fn element(&mut self, depth: usize) -> Result<(), Invalid> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.skip_whitespace();
            if self.peek() == Some(b'"') {
                return self.string().map(drop);
            }
        }
        self.value(depth).map(drop)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Invalid> {
        for &expected in word {
            self.expect(expected)?;
        }
        Ok(())
    }

    /// At `[`: each item is passed to `item` with its index, which must
    /// consume it.
    pub(crate) fn array(
        &mut self,
        depth: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        let mut index = 0;
        let mut more = self.enter(depth, b'[', b']')?;
        while more {
            item(self, index)?;
            index += 1;
            more = self.after(b']')?;
        }
        Ok(())
    }

    /// At `{`: each member's key is passed to `member`, which must consume
    /// its value.
    pub(crate) fn object(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, Text) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        let mut more = self.enter(depth, b'{', b'}')?;
        while more {
            let key = self.key()?;
            member(self, key)?;
            more = self.after(b'}')?;
        }
        Ok(())
    }

    /// The syntax arrays and objects share, in three steps that callers
    /// holding more state than a closure can borrow drive themselves:
    /// `enter` at `open` (whether an element follows), the element, then
    /// `after` it (whether another follows, past the comma, or the list
    /// closed).
    #[inline(always)]
    pub(crate) fn enter(&mut self, depth: usize, open: u8, close: u8) -> Result<bool, Invalid> {
        self.open(depth, open)?;
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After an element: `true` past a comma, `false` past `close`.
    #[inline(always)]
    pub(crate) fn after(&mut self, close: u8) -> Result<bool, Invalid> {
        // Compact bodies first: the comma right after the element.
        #[cfg(not(target_arch = "wasm32"))]
        if self.peek() == Some(b',') {
            self.pos += 1;
            return Ok(true);
        }
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.invalid()),
        }
    }

    /// At a member: its key, and past the colon.
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Result<Text, Invalid> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.invalid());
        }
        let key = self.string()?;
        self.skip_whitespace();
        self.expect(b':')?;
        Ok(key)
    }

    /// At a member: whether it is written `head`, its head whole, `"name":`
    /// (a constant), exactly (no escape, no space before the colon); if so
    /// the cursor moves past the colon. `name` has no quote, backslash or
    /// control byte, so the bytes compared are the whole key and the same
    /// text a scan would accept: the expected key costs one compare of
    /// words, with no scan of the string.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn literal_member(&mut self, head: &[u8]) -> bool {
        match self.bytes().get(self.pos..self.pos + head.len()) {
            Some(written) if same_bytes(written, head) => {
                self.pos += head.len();
                true
            }
            _ => false,
        }
    }

    /// Enter an array or object; a level past [`MAX_JSON_DEPTH`] is refused
    /// here (callers report the depth error, not a position).
    fn open(&mut self, depth: usize, bracket: u8) -> Result<(), Invalid> {
        if depth >= MAX_JSON_DEPTH {
            return Err(self.invalid());
        }
        self.expect(bracket)?;
        self.skip_whitespace();
        Ok(())
    }
}

/// Whether `text` is one JSON value, as the reader decides it: the scanner
/// alone, for the bench's throughput figure.
#[doc(hidden)]
pub fn is_json(text: &str) -> bool {
    let mut scanner = Scanner::new(text);
    scanner.value(0).is_ok() && scanner.end().is_ok()
}

/// The 1-based line and column (in bytes) of an offset, for messages.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    (line, before.len() - line_start + 1)
}

#[cfg(test)]
mod tests;
