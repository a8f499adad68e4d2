//! Strings: checking them in the scan, and decoding the content of one
//! the scan accepted.

#[cfg(not(target_arch = "wasm32"))]
use super::bytes::first_special;
use super::bytes::plain_run;
use super::{Invalid, Scanner, Text};

impl Scanner<'_> {
    /// At `"`: check and pass a string.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Result<Text, Invalid> {
        // The range is worked out here, around a call that returns only a
        // flag: a returned `Text` goes through memory, and reading it back
        // stalled the scan of every key.
        let start = self.pos + 1;
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(end) = self.plain_string() {
            self.pos = end + 1;
            return Ok(Text {
                start,
                end,
                escaped: false,
            });
        }
        let escaped = self.pass_string()?;
        Ok(Text {
            start,
            end: self.pos - 1,
            escaped,
        })
    }

    /// At `"`: pass a plain string (see [`Scanner::plain_string`]) and
    /// give its content's range; `None`, the cursor not moved, otherwise.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn pass_plain_string(&mut self) -> Option<(usize, usize)> {
        let start = self.pos + 1;
        let end = self.plain_string()?;
        self.pos = end + 1;
        Some((start, end))
    }

    /// The common string, inline: at `"`, a run of plain bytes and the
    /// closing quote, sixteen bytes a step; where its closing quote is.
    /// `None` (the cursor not moved) for anything else: an escape, a
    /// control byte, or fewer than sixteen bytes left, which
    /// [`Scanner::pass_string`] reads.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    fn plain_string(&self) -> Option<usize> {
        let bytes = self.bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let mut at = self.pos + 1;
        loop {
            let chunk = bytes.get(at..)?.first_chunk::<16>()?;
            match first_special(chunk) {
                None => at += 16,
                Some(offset) => {
                    at += offset as usize;
                    return (bytes.get(at) == Some(&b'"')).then_some(at);
                }
            }
        }
    }

    /// Pass a string; whether it had escapes.
    fn pass_string(&mut self) -> Result<bool, Invalid> {
        self.expect(b'"')?;
        let mut escaped = false;
        loop {
            self.pos += plain_run(self.bytes().get(self.pos..).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                // A control character, or the end of the text.
                _ => return Err(self.invalid()),
            }
        }
    }

    fn escape(&mut self) -> Result<(), Invalid> {
        let start = self.pos;
        self.pos += 1;
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 1;
                Ok(())
            }
            Some(b'u') => {
                self.pos += 1;
                match self.hex4()? {
                    // A trailing surrogate with no leading one.
                    0xDC00..=0xDFFF => Err(Invalid(start)),
                    0xD800..=0xDBFF => {
                        if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(Invalid(start));
                        }
                        self.pos += 2;
                        match self.hex4()? {
                            0xDC00..=0xDFFF => Ok(()),
                            _ => Err(Invalid(start)),
                        }
                    }
                    _ => Ok(()),
                }
            }
            _ => Err(self.invalid()),
        }
    }

    fn hex4(&mut self) -> Result<u16, Invalid> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or(self.invalid())?;
            unit = unit << 4 | digit as u16;
            self.pos += 1;
        }
        Ok(unit)
    }
}

/// The characters of a string's content, escapes decoded.
pub(crate) struct Unescaped<'a> {
    rest: std::str::Chars<'a>,
}

impl<'a> Unescaped<'a> {
    /// `content` is a string's content as the scanner accepted it.
    pub(crate) fn new(content: &'a str) -> Self {
        Self {
            rest: content.chars(),
        }
    }

    fn hex4(&mut self) -> u32 {
        (0..4).fold(0, |unit, _| {
            unit << 4 | self.rest.next().and_then(|c| c.to_digit(16)).unwrap_or(0)
        })
    }
}

impl Iterator for Unescaped<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = self.rest.next()?;
        if c != '\\' {
            return Some(c);
        }
        Some(match self.rest.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = self.hex4();
                let point = if (0xD800..0xDC00).contains(&unit) {
                    // The scanner accepted it, so a trailing surrogate follows.
                    self.rest.nth(1);
                    0x1_0000 + ((unit - 0xD800) << 10 | (self.hex4().wrapping_sub(0xDC00) & 0x3FF))
                } else {
                    unit
                };
                char::from_u32(point).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            other => other,
        })
    }
}

impl Text {
    /// The raw content, escapes as sent.
    #[inline]
    pub(crate) fn raw<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or_default()
    }

    /// The raw content as bytes (no UTF-8 boundary check: a string's
    /// content lies between ASCII quotes).
    #[cfg(not(target_arch = "wasm32"))]
    #[inline]
    pub(crate) fn raw_bytes<'a>(&self, text: &'a str) -> &'a [u8] {
        text.as_bytes()
            .get(self.start..self.end)
            .unwrap_or_default()
    }

    /// The decoded content.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn decoded<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let raw = self.raw(text);
        if self.escaped {
            std::borrow::Cow::Owned(Unescaped::new(raw).collect())
        } else {
            std::borrow::Cow::Borrowed(raw)
        }
    }
}
