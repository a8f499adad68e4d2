//! The reader: one pass of the scanner over a body, with the path to the
//! cursor and the mismatches found on the way.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use super::mismatch::{JsonType, Mismatch};
use super::typing::scalar;
use crate::error::Error;
use crate::json::{check_depth, not_an_object, not_json};
use crate::scan::{Invalid, Kind, Scanner, Text, same_bytes};
use crate::text::{Body, Text as FieldText};

/// One step of the path to the value being read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    /// A documented key.
    Name(&'static str),
    /// Any other key (inside a descriptive object), as sent.
    Key(Text),
    /// A list index.
    Index(usize),
}

/// Where the values of a record's fields that reported mismatches lie, as
/// `(field index, from, to)`: a repeated key counts by its last occurrence,
/// so what an earlier one reported is forgotten. Empty (no allocation) on
/// the common path, where nothing is reported.
pub(crate) type Spans = Vec<(usize, usize, usize)>;

/// What [`Reader::members`] hands each member to, in the WASM build.
#[cfg(target_arch = "wasm32")]
type MemberFn<'m, 't> = dyn FnMut(&mut Reader<'t>, &[u8]) -> Result<(), Invalid> + 'm;

/// Pass the value of a member that is not documented: one function for
/// every record's reads, so that each record's reader is made once.
pub(crate) fn skip_member(r: &mut Reader<'_>, _key: &[u8]) -> Result<(), Invalid> {
    r.skip()
}

/// The position of `key` in `keys`, searched from `next` on (payloads mostly
/// list their keys in the documented order) and wrapping around; `next`
/// moves past a key found. Natively a record's members in the documented
/// order never come here (see `Reader::enter_record`): this is the
/// search for the others, out of line.
#[cfg_attr(not(target_arch = "wasm32"), inline(never))]
pub(crate) fn search_key(keys: &[&str], next: &mut usize, key: &[u8]) -> Option<usize> {
    let start = (*next).min(keys.len());
    let (before, after) = keys.split_at(start);
    let same = |name: &&str| same_bytes(name.as_bytes(), key);
    let found = match after.iter().position(same) {
        Some(i) => start + i,
        None => before.iter().position(same)?,
    };
    *next = found + 1;
    Some(found)
}

/// One pass over a body: the scanner, and what was found on the way.
///
/// A mismatch's path is written as the reader unwinds: the value reports
/// it with an empty path, and each enclosing field and list item puts its
/// step in front, so reading a field that matches keeps no path at all.
pub(crate) struct Reader<'t> {
    pub(super) scanner: Scanner<'t>,
    pub(super) text: &'t str,
    /// How many arrays and objects are around the cursor.
    depth: usize,
    /// The path to the cursor, kept only when typings are listed (they
    /// name their path as they are found).
    path: Vec<Step>,
    mismatches: Vec<Mismatch>,
    /// For bindings that type descriptive values themselves: each string
    /// typed by the visit rule, as `[[steps...], typed, "as sent"]`.
    typings: Option<String>,
    /// The text as the typed view shares it, when it is built: each record
    /// holds it, and its string fields are ranges of it.
    source: Option<Arc<str>>,
}

impl<'t> Reader<'t> {
    /// A reader of `text`; with `source` (the same text, shared), the
    /// records it builds hold it.
    pub(crate) fn new(text: &'t str, source: Option<&Arc<str>>) -> Self {
        Self {
            scanner: Scanner::new(text),
            text,
            depth: 0,
            path: Vec::new(),
            mismatches: Vec::new(),
            typings: None,
            source: source.cloned(),
        }
    }

    /// The body a record built by this read holds.
    pub(crate) fn body(&self) -> Body {
        Body::new(self.source.as_ref())
    }

    /// Also list the typings of descriptive values (see [`Reader::typings`]).
    pub(crate) fn with_typings(mut self) -> Self {
        self.typings = Some(String::new());
        self
    }

    pub(crate) fn into_parts(self) -> (Vec<Mismatch>, Option<String>) {
        let typings = self.typings.map(|list| format!("[{list}]"));
        (self.mismatches, typings)
    }

    /// The root object, read by `read`, with the contract's body checks:
    /// depth, JSON, an object, nothing after it.
    pub(crate) fn root<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Invalid>,
    ) -> Result<T, Error> {
        let scanned = match self.scanner.kind() {
            Ok(Kind::Object) => read(self).map(Ok),
            _ => self.scanner.value(0).map(Err),
        }
        .and_then(|read| self.scanner.end().map(|()| read));
        match scanned {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(kind)) => Err(not_an_object(kind.described())),
            // The depth limit is reported before syntax, measured on the
            // whole text once the scan failed (the scanner also refuses a
            // 129th level, so a text it accepts is within the limit).
            Err(Invalid(offset)) => Err(check_depth(self.text)
                .err()
                .unwrap_or_else(|| not_json(self.text, offset))),
        }
    }

    /// At `{`: each member's key, decoded, is passed to `member` (as bytes:
    /// keys are compared, and a view needs no UTF-8 boundary check), which
    /// must consume its value.
    pub(crate) fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, &[u8]) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        // The WASM build is size-first: one loop serves every record there.
        #[cfg(target_arch = "wasm32")]
        let member: &mut MemberFn<'_, 't> = &mut member;
        #[cfg(not(target_arch = "wasm32"))]
        let member = &mut member;
        self.member_loop(member)
    }

    fn member_loop<F>(&mut self, member: &mut F) -> Result<(), Invalid>
    where
        F: FnMut(&mut Self, &[u8]) -> Result<(), Invalid> + ?Sized,
    {
        let mut more = self.scanner.enter(self.depth, b'{', b'}')?;
        self.depth += 1;
        while more {
            let key = self.scanner.key()?;
            // Keys are rarely escaped: natively the common one is a view,
            // with no call (the size-first WASM build keeps the one call).
            #[cfg(not(target_arch = "wasm32"))]
            if key.escaped {
                member(self, key.decoded(self.text).as_bytes())?;
            } else {
                member(self, key.raw_bytes(self.text))?;
            }
            #[cfg(target_arch = "wasm32")]
            member(self, key.decoded(self.text).as_bytes())?;
            more = self.scanner.after(b'}')?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// At a record's `{`: whether a member follows. Natively a record reads
    /// its documented members in their documented order first, one step a
    /// field (see `record!`): each step compares its key where it lies
    /// ([`Reader::expected_member`]) and reads its field with no dispatch;
    /// the members left ([`Reader::rest_members`]) are dispatched by key.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn enter_record(&mut self) -> Result<bool, Invalid> {
        let more = self.scanner.enter(self.depth, b'{', b'}')?;
        self.depth += 1;
        Ok(more)
    }

    /// A string field's value read inline, natively, when it is the common
    /// case: a plain string right at the cursor, in a record none of whose
    /// fields reported a mismatch (`spans` empty: else a repeated key must
    /// forget what its earlier value reported). Its range, the cursor past
    /// it; `None` (the cursor not moved) for anything else, which
    /// [`Reader::field`] reads. (A kept path needs no step here: a string
    /// field reports nothing and lists no typing.)
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn plain_text(&mut self, spans: &Spans) -> Option<(usize, usize)> {
        if !spans.is_empty() {
            return None;
        }
        self.scanner.pass_plain_string()
    }

    /// Whether the next member is written `head`, the member's head whole,
    /// `"name":` (see [`Scanner::literal_member`]); if so the cursor is
    /// past its colon.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn expected_member(&mut self, head: &str) -> bool {
        self.scanner.skip_whitespace();
        self.scanner.literal_member(head.as_bytes())
    }

    /// After a record's member: whether another follows (past the comma),
    /// or the record closed.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn after_member(&mut self) -> Result<bool, Invalid> {
        self.scanner.after(b'}')
    }

    /// The members of a record from the cursor on, when `more`: each one's
    /// index in `keys` (none for another key) and its key go to `member`,
    /// which must consume its value. Then the record is closed.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn rest_members(
        &mut self,
        mut more: bool,
        keys: &[&'static str],
        mut member: impl FnMut(&mut Self, Option<usize>, &[u8]) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        let mut next = 0;
        while more {
            let key = self.scanner.key()?;
            let escaped: String;
            let key = if key.escaped {
                escaped = key.decoded(self.text).into_owned();
                escaped.as_bytes()
            } else {
                key.raw_bytes(self.text)
            };
            member(self, search_key(keys, &mut next, key), key)?;
            more = self.scanner.after(b'}')?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// At `[`: each element is passed to `element` with its index, as the
    /// last step of the path; `element` must consume it.
    pub(super) fn elements(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        let mut more = self.scanner.enter(self.depth, b'[', b']')?;
        self.depth += 1;
        let mut index = 0;
        while more {
            let before = self.mismatches.len();
            self.step_in(Step::Index(index));
            element(self)?;
            self.step_out();
            if self.mismatches.len() != before {
                self.prefix(before, &index);
            }
            index += 1;
            more = self.scanner.after(b']')?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// Enter `step` of the path, when the path is kept (see [`Reader::path`]).
    #[inline(always)]
    pub(super) fn step_in(&mut self, step: Step) {
        if self.typings.is_some() {
            self.path.push(step);
        }
    }

    /// Leave the last step of the path, when the path is kept.
    #[inline(always)]
    pub(super) fn step_out(&mut self) {
        if self.typings.is_some() {
            self.path.pop();
        }
    }

    /// The mismatches from `from` on were reported inside `step`: put it in
    /// front of their paths.
    #[cold]
    #[inline(never)]
    pub(super) fn prefix(&mut self, from: usize, step: &dyn std::fmt::Display) {
        for m in self.mismatches.iter_mut().skip(from) {
            m.path = if m.path.is_empty() {
                format!("{step}")
            } else {
                format!("{step}.{}", m.path)
            };
        }
    }

    /// How many mismatches were reported so far.
    #[inline(always)]
    pub(super) fn reported(&self) -> usize {
        self.mismatches.len()
    }

    /// Check and pass the value at the cursor.
    pub(crate) fn skip(&mut self) -> Result<(), Invalid> {
        self.scanner.value(self.depth).map(drop)
    }

    /// A type key's value: a non-empty string, or `None` for anything else
    /// (the type rule, not a documented field: never a mismatch).
    pub(crate) fn type_name(&mut self) -> Result<Option<String>, Invalid> {
        if self.scanner.kind()? != Kind::String {
            self.skip()?;
            return Ok(None);
        }
        let name = self.scanner.string()?.decoded(self.text);
        Ok((!name.is_empty()).then(|| name.into_owned()))
    }

    /// Field `index` of a record whose fields reported `spans` is read
    /// again: only its last occurrence counts, so forget what an earlier
    /// one reported.
    #[cold]
    #[inline(never)]
    pub(super) fn forget(&mut self, spans: &mut Spans, index: usize) {
        if let Some(i) = spans.iter().position(|&(field, _, _)| field == index) {
            let (_, from, to) = spans.swap_remove(i);
            self.mismatches.retain(|m| !(from..to).contains(&m.at));
        }
    }

    /// Field `index`, named `name`, whose value started at `start`,
    /// reported the mismatches from `from` on: name it in their paths, and
    /// keep its span (see [`Spans`]).
    #[cold]
    #[inline(never)]
    pub(super) fn reported_in(
        &mut self,
        from: usize,
        name: &str,
        index: usize,
        start: usize,
        spans: &mut Spans,
    ) {
        self.prefix(from, &name);
        spans.push((index, start, self.scanner.pos()));
    }

    /// Report the value that started at `start` and ends at the cursor.
    pub(super) fn mismatch(
        &mut self,
        expected: JsonType,
        found: JsonType,
        start: usize,
        typed_json: Cow<'static, str>,
    ) {
        // The path is written in front as the reader unwinds (see `Reader`).
        let path = String::new();
        let value_json = self.text.get(start..self.scanner.pos()).unwrap_or("null");
        self.mismatches.push(Mismatch {
            path,
            expected,
            found,
            value_json: value_json.into(),
            typed_json,
            at: start,
        });
    }

    /// Pass a value of kind `kind` that cannot be read as `expected`, and
    /// report it; the typed view holds `None`.
    pub(crate) fn wrong<T>(
        &mut self,
        expected: JsonType,
        kind: Kind,
    ) -> Result<Option<T>, Invalid> {
        let start = self.scanner.pos();
        let found = match kind {
            Kind::Number => JsonType::of_number(self.scanner.number()?),
            Kind::String => {
                self.scanner.string()?;
                JsonType::String
            }
            Kind::Bool => {
                self.skip()?;
                JsonType::Boolean
            }
            Kind::Array => {
                self.skip()?;
                JsonType::Array
            }
            // Null never reaches here (it is no mismatch).
            Kind::Object | Kind::Null => {
                self.skip()?;
                JsonType::Object
            }
        };
        self.mismatch(expected, found, start, Cow::Borrowed("null"));
        Ok(None)
    }

    /// A string value, read when `READ`: the range of the text it was sent
    /// in, or its decoded text when it has escapes; an integer is converted
    /// to its decimal text. The string inline, anything else out of line.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub(super) fn text<const READ: bool>(
        &mut self,
        kind: Kind,
    ) -> Result<Option<FieldText>, Invalid> {
        if kind != Kind::String {
            return self.not_text(kind);
        }
        let text = self.scanner.string()?;
        if !READ {
            return Ok(None);
        }
        if !text.escaped {
            return Ok(Some(FieldText::span(self.text, text.start, text.end)));
        }
        Ok(Some(FieldText::Owned(
            text.decoded(self.text).as_ref().into(),
        )))
    }

    /// [`Reader::text`] of a value of another kind: a mismatch.
    #[cfg_attr(not(target_arch = "wasm32"), inline(never))]
    fn not_text(&mut self, kind: Kind) -> Result<Option<FieldText>, Invalid> {
        if kind != Kind::Number {
            return self.wrong(JsonType::String, kind);
        }
        let start = self.scanner.pos();
        let number = self.scanner.number()?;
        let found = JsonType::of_number(number);
        let end = self.scanner.pos();
        let literal = self.text.get(start..end).unwrap_or("");
        if found == JsonType::Integer {
            // A JSON integer has one spelling: its literal is its
            // decimal text.
            let typed = Cow::Owned(format!("\"{literal}\""));
            self.mismatch(JsonType::String, found, start, typed);
            Ok(Some(FieldText::span(self.text, start, end)))
        } else {
            self.mismatch(JsonType::String, found, start, Cow::Borrowed("null"));
            Ok(None)
        }
    }

    /// Record the typings of the descriptive value at the cursor (any JSON),
    /// when asked to, else only check and pass it.
    pub(super) fn typings(&mut self) -> Result<(), Invalid> {
        if self.typings.is_none() {
            return self.skip();
        }
        match self.scanner.kind()? {
            Kind::String => {
                let text = self.scanner.string()?;
                let decoded = text.decoded(self.text);
                let (Some(scalar), Some(list)) = (scalar(&decoded), self.typings.as_mut()) else {
                    return Ok(());
                };
                if !list.is_empty() {
                    list.push(',');
                }
                list.push_str("[[");
                for (i, step) in self.path.iter().enumerate() {
                    if i > 0 {
                        list.push(',');
                    }
                    match step {
                        Step::Name(name) => {
                            let _ = write!(list, "\"{name}\"");
                        }
                        // As sent: a key's raw content is valid JSON string content.
                        Step::Key(key) => {
                            let _ = write!(list, "\"{}\"", key.raw(self.text));
                        }
                        Step::Index(index) => {
                            let _ = write!(list, "{index}");
                        }
                    }
                }
                let _ = write!(list, "],{},\"{}\"]", scalar.json(), text.raw(self.text));
                Ok(())
            }
            Kind::Array => self.elements(Self::typings),
            Kind::Object => {
                let mut more = self.scanner.enter(self.depth, b'{', b'}')?;
                self.depth += 1;
                while more {
                    let key = self.scanner.key()?;
                    self.step_in(Step::Key(key));
                    self.typings()?;
                    self.step_out();
                    more = self.scanner.after(b'}')?;
                }
                self.depth -= 1;
                Ok(())
            }
            _ => self.skip(),
        }
    }
}
