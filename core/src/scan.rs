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

    /// At a member: whether its key is written `"name":`, exactly (no
    /// escape, no space before the colon); if so the cursor moves past the
    /// colon. `name` has no quote, backslash or control byte, so the bytes
    /// compared are the whole key and the same text a scan would accept:
    /// the expected key costs a compare, with no scan of the string.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn literal_key(&mut self, name: &[u8]) -> bool {
        let written = self
            .bytes()
            .get(self.pos..self.pos + name.len() + 3)
            .and_then(|member| member.split_first())
            .and_then(|(&open, rest)| Some((open, rest.split_last_chunk::<2>()?)));
        match written {
            Some((b'"', (key, [b'"', b':']))) if same_bytes(key, name) => {
                self.pos += name.len() + 3;
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

    /// At a number: check and pass it, reading it as the reference parser
    /// does (serde_json without `float_roundtrip`), whose arithmetic decides
    /// which literals are out of range.
    pub(crate) fn number(&mut self) -> Result<Number, Invalid> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let mut significand: u64 = 0;
        // Powers of ten: digits dropped from the significand, minus
        // fraction digits kept in it. Saturating, like the exponent below.
        let mut exponent: i32 = 0;
        let mut float = false;
        match self.digit() {
            Some(0) => {
                self.pos += 1;
                if self.digit().is_some() {
                    return Err(self.invalid());
                }
            }
            Some(_) => {
                let mut dropping = false;
                while let Some(d) = self.digit() {
                    self.pos += 1;
                    if dropping {
                        exponent = exponent.saturating_add(1);
                    } else if let Some(next) = grow(significand, d) {
                        significand = next;
                    } else {
                        // Too long for a u64: serde_json keeps the leading
                        // digits and counts the rest as a power of ten.
                        dropping = true;
                        float = true;
                        exponent = 1;
                    }
                }
            }
            None => return Err(self.invalid()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if self.digit().is_none() {
                return Err(self.invalid());
            }
            let mut dropping = false;
            while let Some(d) = self.digit() {
                self.pos += 1;
                if dropping {
                    continue;
                }
                match grow(significand, d) {
                    Some(next) => {
                        significand = next;
                        exponent = exponent.saturating_sub(1);
                    }
                    None => dropping = true,
                }
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            let positive = match self.peek() {
                Some(b'+') => {
                    self.pos += 1;
                    true
                }
                Some(b'-') => {
                    self.pos += 1;
                    false
                }
                _ => true,
            };
            if self.digit().is_none() {
                return Err(self.invalid());
            }
            let mut power: i32 = 0;
            let mut too_large = false;
            while let Some(d) = self.digit() {
                self.pos += 1;
                match power.checked_mul(10).and_then(|p| p.checked_add(d as i32)) {
                    Some(next) if !too_large => power = next,
                    _ => too_large = true,
                }
            }
            if too_large {
                // serde_json: an exponent past i32 is infinity (refused) or zero.
                return if positive && significand != 0 {
                    Err(Invalid(start))
                } else {
                    Ok(Number::Float)
                };
            }
            exponent = if positive {
                exponent.saturating_add(power)
            } else {
                exponent.saturating_sub(power)
            };
        }
        if float {
            return if overflows(significand, exponent) {
                Err(Invalid(start))
            } else {
                Ok(Number::Float)
            };
        }
        let value = i128::from(significand);
        if !negative {
            Ok(Number::Integer(value))
        } else if significand == 0 || -value < i128::from(i64::MIN) {
            // serde_json reads `-0` and integers below i64::MIN as floats.
            Ok(Number::Float)
        } else {
            Ok(Number::Integer(-value))
        }
    }

    fn digit(&self) -> Option<u64> {
        match self.peek() {
            Some(b @ b'0'..=b'9') => Some(u64::from(b - b'0')),
            _ => None,
        }
    }
}

/// `significand * 10 + digit`, unless that overflows a u64.
fn grow(significand: u64, digit: u64) -> Option<u64> {
    significand.checked_mul(10)?.checked_add(digit)
}

/// Whether serde_json (without `float_roundtrip`) finds `significand` x
/// 10^`exponent` out of range: it multiplies the significand, as an `f64`,
/// by the power of ten from its table, and refuses an infinite product.
fn overflows(significand: u64, exponent: i32) -> bool {
    // Its table's last entries: below 1e289 no product can reach f64::MAX
    // (a u64 is below 1.9e19).
    const POW10_FROM_289: [f64; 20] = [
        1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, 1e300, 1e301,
        1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
    ];
    if significand == 0 || exponent < 289 {
        return false;
    }
    match usize::try_from(exponent - 289)
        .ok()
        .and_then(|i| POW10_FROM_289.get(i))
    {
        Some(pow) => (significand as f64 * pow).is_infinite(),
        None => true,
    }
}

/// Whether two short byte strings are equal: the length settles most
/// misses, then words that may overlap (eight bytes at a time and the last
/// eight, or the first and last four), so a key costs a few compares and
/// neither a call nor a byte loop.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 4 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    if a.len() < 8 {
        return a.first_chunk::<4>() == b.first_chunk::<4>()
            && a.last_chunk::<4>() == b.last_chunk::<4>();
    }
    let (mut x, mut y) = (a, b);
    while x.len() > 8 {
        match (x.split_first_chunk::<8>(), y.split_first_chunk::<8>()) {
            (Some((p, rest_x)), Some((q, rest_y))) if p == q => (x, y) = (rest_x, rest_y),
            _ => return false,
        }
    }
    a.last_chunk::<8>() == b.last_chunk::<8>()
}

/// [`same_bytes`] in the size-first WASM build: the one slice compare.
#[cfg(target_arch = "wasm32")]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a == b
}

/// Eight bytes at once: the high bit of each special byte set, exactly at
/// the lowest one (a borrow only spreads upwards, so bytes above the first
/// special one may be flagged too, never below).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn special_word(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash
        // Bytes below 0x20.
        | word.wrapping_sub(ONES * 0x20) & !word)
        & HIGHS
}

/// The offset of the first special byte of `chunk`, if any: its two halves
/// tested side by side (two independent chains of a few operations, no
/// `unsafe`). The scan is a chain of dependent steps, each string's end
/// the start of what follows, so the latency of a step counts more than
/// its instruction count (a vectorised compare whose mask goes through
/// memory to reach a scalar register was slower).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn first_special(chunk: &[u8; 16]) -> Option<u32> {
    let (low, high) = chunk.split_at(8);
    let low = special_word(u64::from_le_bytes(low.try_into().unwrap_or_default()));
    let high = special_word(u64::from_le_bytes(high.try_into().unwrap_or_default()));
    if low != 0 {
        Some(low.trailing_zeros() / 8)
    } else if high != 0 {
        Some(8 + high.trailing_zeros() / 8)
    } else {
        None
    }
}

/// How many leading bytes of `bytes` a string takes as they are: none is a
/// quote, a backslash or a control character. Sixteen bytes a step (see
/// [`first_special`]); the last few bytes are padded with a control byte,
/// which stops the run at the end of the text.
#[cfg(not(target_arch = "wasm32"))]
fn plain_run(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(16);
    let mut run = 0;
    for chunk in chunks.by_ref() {
        let Ok(chunk) = <&[u8; 16]>::try_from(chunk) else {
            break;
        };
        if let Some(at) = first_special(chunk) {
            return run + at as usize;
        }
        run += 16;
    }
    let rest = chunks.remainder();
    let mut padded = [0u8; 16];
    if let Some(head) = padded.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    run + first_special(&padded).map_or(rest.len(), |at| at as usize)
}

/// [`plain_run`] for the size-first WASM build (no SIMD there): eight bytes
/// at a time in a `u64`; each test flags its byte exactly at the lowest
/// flagged position (a borrow only spreads upwards), so the lowest flag of
/// all three is the first special byte.
#[cfg(target_arch = "wasm32")]
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut run = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(chunk);
        let special = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            // Bytes below 0x20.
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if special != 0 {
            return run + (special.trailing_zeros() / 8) as usize;
        }
        run += 8;
    }
    while let Some(&b) = bytes.get(run) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        run += 1;
    }
    run
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
