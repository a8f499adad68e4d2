//! fingerprinting-api visits (`NEW_VISIT`, `NEW_VISITOR`).
//!
//! The tracker sends numbers and booleans as strings (`"6"`, `"true"`). The
//! typed view converts them inside the descriptive objects (`location`,
//! `trafficSource`, `device`, `browser`, `screen`) by one rule, the same in
//! every language:
//!
//! - `"true"` / `"false"` become booleans;
//! - a string of decimal digits with an optional leading `-`, no leading zero
//!   (except `"0"`), that fits a signed 64-bit integer becomes an integer;
//! - everything else is left as sent.
//!
//! That typing is the documented shape, not a mismatch. Identifiers, URLs,
//! dates, IPs, `timezone` and `params` are never converted (an id of
//! `"0123"` or `"42"` stays a string), and the original object is always
//! available from [`Visit::raw`]. The documented fields themselves are read
//! as every record is ([`crate::schema`]): another JSON type is a mismatch.

use std::sync::Arc;

use serde_json::Value;

use crate::delivery::visit_key;
use crate::error::Error;
use crate::json::{RawObject, utf8};
use crate::schema::{Mismatch, Reader, Visit, refuse_if_strict};
use crate::text::Body;
use crate::verifier::DEFAULT_MAX_BODY_BYTES;

/// The keys a visit names its type with, in order of preference.
const VISIT_TYPE_KEYS: [&str; 3] = ["event_type", "event", "type"];

/// The header fingerprinting-api's documentation suggests for the user-set signature.
pub const VISIT_SIGNATURE_HEADER: &str = "X-Webhook-Signature";

impl Visit {
    /// The whole payload object as received, untyped.
    pub fn raw(&self) -> &serde_json::Map<String, Value> {
        self.raw.object()
    }

    /// The payload's JSON text exactly as received.
    pub fn raw_json(&self) -> &str {
        self.raw.text()
    }

    /// The documented fields whose value was not of their documented type,
    /// in document order (see [`crate::Mismatch`]).
    pub fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }

    /// The key that de-duplicates this delivery (see [`crate::delivery`]):
    /// `visit:{id}` when the visit has a non-empty `id`, else
    /// `sha256:{hex of the body}`.
    pub fn delivery_key(&self) -> String {
        visit_key(self.id(), self.raw.text().as_bytes())
    }

    /// The hash kept with the delivery's claim and done mark (see
    /// [`crate::delivery::body_hash`]): of the body as received.
    pub fn body_hash(&self) -> String {
        crate::delivery::body_hash(self.raw.text().as_bytes())
    }
}

/// What a check of a visit found, for bindings that build their own objects
/// from the text (JavaScript's `JSON.parse`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckedVisit {
    /// The visit's type, if it names one.
    pub event_type: Option<String>,
    /// The mismatches (see [`Visit::mismatches`]).
    pub mismatches: Vec<Mismatch>,
    /// Each string of a descriptive object that the typed view types, as a
    /// JSON array of `[[key or index, ...], typed, "as sent"]`, in document
    /// order. Write `typed` at the path only where the value there is still
    /// the string as sent (a repeated key's earlier occurrence is listed too).
    pub typings_json: String,
    id: Option<crate::Str>,
}

impl CheckedVisit {
    /// The key that de-duplicates this delivery (see [`Visit::delivery_key`]);
    /// `body` is the body this answer was checked from (a visit without an
    /// id is keyed by its hash).
    pub fn delivery_key(&self, body: &[u8]) -> String {
        visit_key(self.id.as_deref(), body)
    }
}

/// A visit body read once.
fn read_visit<const BUILD: bool>(
    text: &str,
    strict: bool,
    typings: bool,
) -> Result<(Visit, Option<String>), Error> {
    let mut visit = Visit::default();
    let mut types: [Option<String>; 3] = Default::default();
    let source: Option<Arc<str>> = BUILD.then(|| Arc::from(text));
    let mut reader = Reader::new(text, source.as_ref());
    if typings {
        reader = reader.with_typings();
    }
    reader.root(|r| {
        Visit::read_members::<BUILD>(r, Some(&mut visit), |r, key| {
            match VISIT_TYPE_KEYS.iter().position(|k| k.as_bytes() == key) {
                Some(i) => {
                    let name = r.type_name()?;
                    if let Some(slot) = types.get_mut(i) {
                        *slot = name;
                    }
                }
                None => r.skip()?,
            }
            Ok(())
        })
    })?;
    let (mismatches, typings) = reader.into_parts();
    refuse_if_strict(strict, &mismatches)?;
    visit.event_type = types.into_iter().flatten().next();
    visit.mismatches = mismatches;
    if let Some(source) = source {
        visit.source = Body::new(Some(&source));
        visit.raw = RawObject::new(source);
    }
    Ok((visit, typings))
}

pub(crate) fn visit_from_body(body: &[u8], strict: bool) -> Result<Visit, Error> {
    let (visit, _) = read_visit::<true>(utf8(body)?, strict, false)?;
    Ok(visit)
}

pub(crate) fn check_visit_body(body: &[u8], strict: bool) -> Result<CheckedVisit, Error> {
    let text = utf8(body)?;
    let (visit, typings) = read_visit::<false>(text, strict, true)?;
    Ok(CheckedVisit {
        event_type: visit.event_type,
        mismatches: visit.mismatches,
        typings_json: typings.unwrap_or_else(|| "[]".to_owned()),
        id: visit.id.map(|id| id.to_str(text, None)),
    })
}

fn check_default_size(body: &[u8]) -> Result<(), Error> {
    if body.len() > DEFAULT_MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge {
            limit: DEFAULT_MAX_BODY_BYTES,
            actual: body.len(),
        });
    }
    Ok(())
}

/// Parse a fingerprinting-api visit, refusing bodies over
/// [`DEFAULT_MAX_BODY_BYTES`] first. It checks no signature: use
/// [`crate::Webhook::construct_visit`] for a delivery from the network. A field of
/// another type is read leniently and reported in [`Visit::mismatches`].
pub fn parse_visit(body: &[u8]) -> Result<Visit, Error> {
    check_default_size(body)?;
    visit_from_body(body, false)
}

/// [`parse_visit`], refusing a mismatch as `invalid_payload`.
pub fn parse_visit_strict(body: &[u8]) -> Result<Visit, Error> {
    check_default_size(body)?;
    visit_from_body(body, true)
}

/// [`parse_visit`]'s checks and answers without building the visit, for
/// bindings that build their own objects (see [`CheckedVisit`]).
pub fn check_visit(body: &[u8], strict: bool) -> Result<CheckedVisit, Error> {
    check_default_size(body)?;
    check_visit_body(body, strict)
}
