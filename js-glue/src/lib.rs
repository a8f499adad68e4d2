//! The Rust both JavaScript packages of `bullseye-webhooks` run: the napi
//! addon (`bindings-node`) and the WebAssembly build (`bindings-wasm`) call
//! these same functions with the same arguments, and each keeps only its
//! boundary (its attributes, its type conversions, how a [`Failure`] becomes
//! a JavaScript error). Every webhook rule lives in the core crate; this
//! crate converts what JavaScript passes (secrets end to end with their
//! lengths, seconds and milliseconds as numbers, headers as flat pairs) and
//! writes the one [`Answer`] JavaScript reads.
//!
//! Nothing here panics: the `.wasm` aborts on a panic, and none may cross
//! into JavaScript from either package.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::Error;
use zeroize::Zeroize;

mod answer;
mod verifier;

pub use answer::Answer;
pub use verifier::{Bitnob, BitnobOptions, Verifier, WebhookOptions};

#[cfg(test)]
mod tests;

/// Why a call failed: a refusal by the core, or an argument the JavaScript
/// entry should have refused before calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The core's error, with its stable code.
    Webhook(Error),
    /// A bad argument (JavaScript sees a `TypeError`).
    Argument(&'static str),
}

impl Failure {
    /// One of the core's codes, or `"argument"`.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Webhook(error) => error.code(),
            Failure::Argument(_) => "argument",
        }
    }

    /// The message: the core's `Display`, which never contains a secret.
    pub fn message(&self) -> String {
        match self {
            Failure::Webhook(error) => error.to_string(),
            Failure::Argument(message) => (*message).to_owned(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Webhook(error)
    }
}

/// A size as a JavaScript number (exact up to 2^53, far beyond any body).
pub fn to_f64(size: usize) -> f64 {
    size as f64
}

/// A non-negative, finite number of seconds as a `Duration`, to the
/// nanosecond (truncated); `None` for anything else. (What
/// `Duration::try_from_secs_f64` does, in a fraction of its code size: the
/// `.wasm` has a budget.)
pub fn duration(seconds: f64) -> Option<Duration> {
    // 2^64 seconds and more do not fit; NaN is in no range.
    if !(0.0..18_446_744_073_709_551_616.0).contains(&seconds) {
        return None;
    }
    let whole = seconds.trunc();
    // In range, so the casts are exact (whole) or truncate (nanoseconds).
    let nanos = ((seconds - whole) * 1e9) as u64;
    Some(Duration::from_secs(whole as u64).saturating_add(Duration::from_nanos(nanos)))
}

/// Milliseconds from JavaScript as a `Duration`, or the argument failure
/// `refused`.
pub fn millis(ms: f64, refused: &'static str) -> Result<Duration, Failure> {
    duration(ms / 1000.0).ok_or(Failure::Argument(refused))
}

/// Milliseconds since the Unix epoch (JavaScript's clock: the WebAssembly
/// core has none of its own) as a `SystemTime`.
fn clock(now_ms: f64) -> Result<SystemTime, Failure> {
    const OUT_OF_RANGE: &str = "now must be a time after 1970 and finite";
    let since_epoch = millis(now_ms, OUT_OF_RANGE)?;
    UNIX_EPOCH
        .checked_add(since_epoch)
        .ok_or(Failure::Argument(OUT_OF_RANGE))
}

/// A tolerance in seconds, checked.
fn tolerance(seconds: f64) -> Result<Duration, Failure> {
    duration(seconds).ok_or(Failure::Argument(
        "tolerance must be a non-negative number of seconds",
    ))
}

/// A whole, non-negative JavaScript number (a size, a count), checked.
pub fn whole_number(number: f64, refused: &'static str) -> Result<usize, Failure> {
    if !(number >= 0.0 && number.fract() == 0.0 && number <= 9_007_199_254_740_991.0) {
        return Err(Failure::Argument(refused));
    }
    // Saturates on wasm32, where no body can be that large anyway.
    Ok(usize::try_from(number as u64).unwrap_or(usize::MAX))
}

/// A body size limit given as a JavaScript number, checked.
fn body_limit(limit: f64) -> Result<usize, Failure> {
    whole_number(limit, "maxBodyBytes must be a non-negative integer")
}

/// The secrets JavaScript passes end to end in `secrets`, split by `lengths`.
fn split_secrets<'a>(secrets: &'a [u8], lengths: &[u32]) -> Result<Vec<&'a [u8]>, Failure> {
    const MISMATCHED: Failure =
        Failure::Argument("the secret lengths do not match the secret bytes");
    let mut list = Vec::with_capacity(lengths.len());
    let mut rest = secrets;
    for length in lengths {
        let length = usize::try_from(*length).unwrap_or(usize::MAX);
        let (secret, tail) = rest.split_at_checked(length).ok_or(MISMATCHED)?;
        list.push(secret);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(MISMATCHED);
    }
    Ok(list)
}

/// What `build` makes of the secrets JavaScript passes end to end in
/// `secrets`, split by `lengths`; the bytes are wiped whatever happens.
fn from_secrets<T>(
    secrets: &mut [u8],
    lengths: &[u32],
    build: impl FnOnce(Vec<&[u8]>) -> Result<T, Error>,
) -> Result<T, Failure> {
    let built = split_secrets(secrets, lengths).and_then(|list| Ok(build(list)?));
    secrets.zeroize();
    built
}

/// `[key, value, key, value, ...]` as the (name, value) pairs the core takes.
fn pairs<S: AsRef<str>>(flat: &[S]) -> impl Iterator<Item = (&str, &str)> {
    flat.chunks_exact(2).filter_map(|pair| match pair {
        [key, value] => Some((key.as_ref(), value.as_ref())),
        _ => None,
    })
}

/// Strings JavaScript passes as one text, for a crossing cheaper than one
/// string each (each costs the `.wasm` a call back into JavaScript and an
/// allocation): each string followed by U+0000, and `lengths`, each
/// string's length in UTF-16 code units (JavaScript's `length`). The
/// separator keeps a lone surrogate at a string's end or start from
/// pairing with its neighbour's, so each one reads as the string alone
/// would (lone surrogates as U+FFFD, one unit as they were).
pub fn split_joined<'a>(text: &'a str, lengths: &[u32]) -> Result<Vec<&'a str>, Failure> {
    const MISMATCHED: Failure = Failure::Argument("the string lengths do not match the text");
    let mut strings = Vec::with_capacity(lengths.len());
    let mut rest = text;
    for &length in lengths {
        let (mut units, mut end) = (0, 0);
        let mut chars = rest.chars();
        while units < length {
            let c = chars.next().ok_or(MISMATCHED)?;
            units += u32::try_from(c.len_utf16()).unwrap_or(u32::MAX);
            end += c.len_utf8();
        }
        let (string, tail) = rest.split_at_checked(end).ok_or(MISMATCHED)?;
        rest = tail
            .strip_prefix('\0')
            .filter(|_| units == length)
            .ok_or(MISMATCHED)?;
        strings.push(string);
    }
    if !rest.is_empty() {
        return Err(MISMATCHED);
    }
    Ok(strings)
}

/// The core's header lookup (case-insensitive, repeats joined with ", ")
/// over `[key, value, key, value, ...]`.
pub fn find_header(flat: &[String], name: &str) -> Option<String> {
    bullseye_webhooks::find_header(pairs(flat), name).map(|value| value.into_owned())
}

/// Check a fingerprinting-api visit (no signature), refusing its first
/// mismatch when `strict`; see [`Answer`].
pub fn parse_visit(body: &[u8], strict: bool) -> Result<Answer, Failure> {
    let checked = bullseye_webhooks::check_visit(body, strict)?;
    Ok(Answer::visit(checked, body))
}
