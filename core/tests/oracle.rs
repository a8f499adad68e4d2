//! The one reader against an oracle: an independent reading of the schema
//! and of the drift rules (CONTRACT.md, "Field types and drift") written
//! here on top of serde_json, on generated JSON *text*: repeated keys,
//! escapes, whitespace, tricky numbers, lone surrogates, wrong types at
//! documented paths, and texts broken by a mutation.
//!
//! For every text it checks: the error (or none), the typed view, and the
//! mismatch list; that the check mode (`check_event`, `check_visit`) gives
//! the same answers; and that the JavaScript way of building an object (the
//! parsed body, each mismatch's typed value and each typing written at its
//! path) gives the typed view at every documented path.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bullseye_webhooks::{
    Error, Mismatch, Webhook, check_visit, parse_visit, parse_visit_strict, sign,
};
use proptest::prelude::*;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

const SECRET: &str = "whsec_oracle";

/// Keys the readers know, spelled plainly or with an escape, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("event"),
        Just("event_type"),
        Just("type"),
        Just("timestamp"),
        Just("visitor"),
        Just("company"),
        Just("session"),
        Just("page_views"),
        Just("workspace"),
        Just("id"),
        Just("email"),
        Just("employee_count"),
        Just("pages_visited"),
        Just("first_visit"),
        Just("url"),
        Just("visited_at"),
        Just("name"),
        Just("firstSeen"),
        Just("location"),
        Just("screen"),
        Just("params"),
        Just("ip"),
        Just("\\u0065vent"),
        Just("em\\u0061il"),
        Just("other"),
    ]
    .prop_map(|key| format!("\"{key}\""))
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("visitor.identified"),
        Just("visitor\\u002eidentified"),
        Just("NEW_VISIT"),
        Just("2025-01-15T10:30:00Z"),
        Just("2025-01-15T10:30:00.5+01:00"),
        Just("\\u0032025-01-15T10:30:00Z"),
        Just("6"),
        Just("-12"),
        Just("0123"),
        Just("true"),
        Just("\\u0036"),
        Just("99999999999999999999"),
        Just(""),
        Just("a\\\"b\\\\c\\/\\b\\f\\n\\r\\t"),
        Just("\\ud83d\\ude00"),
        Just("\\ud800"),
        Just("\\udc00"),
        Just("\\ud800\\u0041"),
        Just("\\x"),
        Just("tab\there"),
        Just("é日本"),
    ]
    .prop_map(str::to_owned)
    .boxed()
    .prop_union("[a-z0-9 .:-]{0,12}".prop_map(String::from).boxed())
    .prop_map(|s| format!("\"{s}\""))
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("42".to_owned()),
        Just("-42".to_owned()),
        Just("3.0".to_owned()),
        Just("1e2".to_owned()),
        Just("01".to_owned()),
        Just("1.".to_owned()),
        Just("-".to_owned()),
        Just("1e400".to_owned()),
        Just("1e-400".to_owned()),
        Just("1.7976931348623157e308".to_owned()),
        Just("1.7976931348623159e308".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("0e99999999999".to_owned()),
        Just("1e99999999999".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        (
            "[1-9][0-9]{0,330}",
            "(\\.[0-9]{1,30})?",
            "([eE][+-]?[0-9]{1,4})?"
        )
            .prop_map(|(int, frac, exp)| format!("{int}{frac}{exp}")),
    ]
}

fn whitespace() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\n\t "), 1 => Just("\r\n")]
}

/// A JSON text (mostly valid) built token by token.
fn text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        string(),
        number(),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((whitespace(), inner.clone()), 0..4).prop_map(|items| {
                let items: Vec<String> =
                    items.into_iter().map(|(w, v)| format!("{w}{v}")).collect();
                format!("[{}]", items.join(","))
            }),
            proptest::collection::vec((key(), whitespace(), inner), 0..7).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, w, v)| format!("{k}:{w}{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// An event or visit object around generated members, maybe broken.
fn document() -> impl Strategy<Value = String> {
    let typed = prop_oneof![
        Just("\"event\":\"visitor.identified\","),
        Just("\"event_type\":\"visitor.identified\","),
        Just("\"event\":\"NEW_VISIT\","),
        Just(""),
    ];
    let members = proptest::collection::vec((key(), text()), 0..8);
    let mutation = prop_oneof![
        6 => Just(None),
        1 => (any::<prop::sample::Index>(), prop_oneof![Just(""), Just(","), Just("\""), Just("}"), Just("\\"), Just("\u{1}")])
            .prop_map(Some),
    ];
    (whitespace(), typed, members, mutation).prop_map(|(w, typed, members, mutation)| {
        let members: Vec<String> = members
            .into_iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        let mut text = format!("{w}{{{typed}{}}}{w}", members.join(","));
        if let Some((at, insert)) = mutation {
            // Replace one character (or delete it, inserting nothing).
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let start = boundaries[at.index(boundaries.len())];
            let end = start + text[start..].chars().next().map_or(0, char::len_utf8);
            text.replace_range(start..end, insert);
        }
        text
    })
}

// ---------------------------------------------------------------------------
// The oracle's view of a text: serde_json decides whether it is JSON; an
// object keeps every occurrence of its keys, in order.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Ordered {
    Leaf(Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// Each key's last occurrence, ordered by where that occurrence is.
    fn members(&self) -> Vec<(String, Ordered)> {
        let Ordered::Object(all) = self else {
            return vec![];
        };
        let mut out: Vec<(usize, String, Ordered)> = Vec::new();
        for (i, (k, v)) in all.iter().enumerate() {
            out.retain(|(_, key, _)| key != k);
            out.push((i, k.clone(), v.clone()));
        }
        out.into_iter().map(|(_, k, v)| (k, v)).collect()
    }

    fn get(&self, key: &str) -> Option<Ordered> {
        self.members()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn value(&self) -> Value {
        match self {
            Ordered::Leaf(v) => v.clone(),
            Ordered::Array(items) => Value::Array(items.iter().map(Ordered::value).collect()),
            Ordered::Object(_) => Value::Object(
                self.members()
                    .into_iter()
                    .map(|(k, v)| (k, v.value()))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
                    members.push((k, v));
                }
                Ok(Ordered::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

/// The documented types, as the oracle knows them (SPEC: the documented examples).
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    Bool,
    Obj,
    Descriptive,
    Record(&'static [(&'static str, Ty)]),
    List(&'static [(&'static str, Ty)]),
}

const PAGE_VIEW: &[(&str, Ty)] = &[("url", Ty::Str), ("visited_at", Ty::Str)];
const VISITOR: &[(&str, Ty)] = &[
    ("id", Ty::Str),
    ("email", Ty::Str),
    ("personal_email", Ty::Str),
    ("first_name", Ty::Str),
    ("last_name", Ty::Str),
    ("job_title", Ty::Str),
    ("phone", Ty::Str),
    ("location", Ty::Str),
    ("photo_url", Ty::Str),
    ("linkedin_url", Ty::Str),
    ("facebook_url", Ty::Str),
    ("twitter_url", Ty::Str),
    ("address", Ty::Str),
    ("city", Ty::Str),
    ("state", Ty::Str),
    ("postal_code", Ty::Str),
    ("gender", Ty::Str),
    ("age_range", Ty::Str),
    ("income_range", Ty::Str),
    ("net_worth", Ty::Str),
    ("homeowner", Ty::Bool),
    ("married", Ty::Bool),
    ("children", Ty::Bool),
    ("icp", Ty::Str),
    ("icp_statuses", Ty::Obj),
    ("persona_match", Ty::Bool),
    ("created_at", Ty::Str),
    ("last_seen_at", Ty::Str),
];
const COMPANY: &[(&str, Ty)] = &[
    ("id", Ty::Str),
    ("name", Ty::Str),
    ("domain", Ty::Str),
    ("industry", Ty::Str),
    ("size", Ty::Int),
    ("employee_count", Ty::Int),
    ("employee_size_range", Ty::Str),
    ("revenue_range", Ty::Str),
    ("location", Ty::Str),
    ("linkedin_url", Ty::Str),
    ("website_url", Ty::Str),
    ("description", Ty::Str),
    ("logo_url", Ty::Str),
    ("address", Ty::Str),
    ("city", Ty::Str),
    ("region", Ty::Str),
    ("postal_code", Ty::Str),
];
const SESSION: &[(&str, Ty)] = &[
    ("created_at", Ty::Str),
    ("landing_page", Ty::Str),
    ("entry_page", Ty::Str),
    ("exit_page", Ty::Str),
    ("pages_visited", Ty::Int),
    ("referrer", Ty::Str),
    ("device_type", Ty::Str),
    ("first_visit", Ty::Bool),
    ("utm_source", Ty::Str),
    ("utm_campaign", Ty::Str),
    ("utm_medium", Ty::Str),
    ("utm_term", Ty::Str),
    ("utm_content", Ty::Str),
    ("campaign_name", Ty::Str),
    ("campaign_source", Ty::Str),
    ("campaign_medium", Ty::Str),
    ("campaign_term", Ty::Str),
    ("campaign_content", Ty::Str),
    ("search_term", Ty::Str),
    ("search_engine", Ty::Str),
    ("country", Ty::Str),
    ("region", Ty::Str),
    ("city", Ty::Str),
    ("tracking_params", Ty::Obj),
];
const IDENTIFICATION: &[(&str, Ty)] = &[
    ("timestamp", Ty::Str),
    ("organization_id", Ty::Str),
    ("session_id", Ty::Str),
    ("workspace", Ty::Str),
    ("visitor", Ty::Record(VISITOR)),
    ("company", Ty::Record(COMPANY)),
    ("session", Ty::Record(SESSION)),
    ("page_views", Ty::List(PAGE_VIEW)),
];
const VISIT_COMPANY: &[(&str, Ty)] = &[("name", Ty::Str), ("domain", Ty::Str)];
const VISIT_VISITOR: &[(&str, Ty)] = &[
    ("id", Ty::Str),
    ("firstSeen", Ty::Str),
    ("company", Ty::Record(VISIT_COMPANY)),
];
const VISIT: &[(&str, Ty)] = &[
    ("id", Ty::Str),
    ("url", Ty::Str),
    ("params", Ty::Obj),
    ("referrer", Ty::Str),
    ("date", Ty::Str),
    ("ip", Ty::Str),
    ("visitor", Ty::Record(VISIT_VISITOR)),
    ("location", Ty::Descriptive),
    ("trafficSource", Ty::Descriptive),
    ("device", Ty::Descriptive),
    ("browser", Ty::Descriptive),
    ("timezone", Ty::Str),
    ("screen", Ty::Descriptive),
];

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// The canonical decimal integer a string spells, if any.
fn canonical_integer(s: &str) -> Option<i64> {
    let n: i64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

/// The visit rule for descriptive values.
fn typed(value: &Value) -> Value {
    match value {
        Value::String(s) if s == "true" => json!(true),
        Value::String(s) if s == "false" => json!(false),
        Value::String(s) => canonical_integer(s).map_or(value.clone(), |n| json!(n)),
        Value::Array(items) => Value::Array(items.iter().map(typed).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), typed(v))).collect())
        }
        other => other.clone(),
    }
}

type Found = Vec<(String, &'static str, &'static str, Value)>;

fn expected_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Str => "string",
        Ty::Int => "integer",
        Ty::Bool => "boolean",
        Ty::List(_) => "array",
        _ => "object",
    }
}

/// The typed view of a present value and its mismatches.
fn read(value: &Ordered, ty: Ty, path: &str, found: &mut Found) -> Value {
    let plain = value.value();
    let converted = match (ty, &plain) {
        (Ty::Str, Value::String(_)) | (Ty::Int, Value::Number(_))
            if type_name(&plain) != "number" =>
        {
            return plain;
        }
        (Ty::Bool, Value::Bool(_)) | (Ty::Obj, Value::Object(_)) => return plain,
        (Ty::Descriptive, Value::Object(_)) => return typed(&plain),
        (Ty::Record(fields), Value::Object(_)) => return record(value, fields, path, found),
        (Ty::List(fields), Value::Array(_)) => {
            let Ordered::Array(items) = value else {
                unreachable!()
            };
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}.{i}");
                out.push(match item {
                    Ordered::Leaf(Value::Null) => Value::Null,
                    item => read(item, Ty::Record(fields), &item_path, found),
                });
            }
            return Value::Array(out);
        }
        (Ty::Str, Value::Number(n)) if n.is_i64() => json!(n.to_string()),
        (Ty::Int, Value::String(s)) => canonical_integer(s).map_or(Value::Null, |n| json!(n)),
        (Ty::Bool, Value::String(s)) if s == "true" || s == "false" => json!(s == "true"),
        _ => Value::Null,
    };
    found.push((path.to_owned(), expected_name(ty), type_name(&plain), plain));
    converted
}

fn record(value: &Ordered, fields: &[(&str, Ty)], path: &str, found: &mut Found) -> Value {
    let mut out = Map::new();
    let mut members: Vec<(usize, Value, Found)> = Vec::new();
    let present = value.members();
    for (name, ty) in fields {
        let at = present.iter().position(|(k, _)| k == name);
        let mut inner = Found::new();
        let typed = match at.map(|i| &present[i].1) {
            None | Some(Ordered::Leaf(Value::Null)) => Value::Null,
            Some(v) => {
                let child = if path.is_empty() {
                    (*name).to_owned()
                } else {
                    format!("{path}.{name}")
                };
                read(v, *ty, &child, &mut inner)
            }
        };
        out.insert((*name).to_owned(), typed);
        members.push((at.unwrap_or(usize::MAX), Value::Null, inner));
    }
    // Document order: by where each field's counting occurrence is.
    members.sort_by_key(|(at, _, _)| *at);
    for (_, _, inner) in members {
        found.extend(inner);
    }
    Value::Object(out)
}

/// What the oracle expects of an event body: an error code, or the type,
/// the typed view (identifications only) and the mismatches.
#[derive(Debug, PartialEq)]
enum Expected {
    Error(&'static str),
    Event {
        event_type: String,
        typed: Option<Value>,
        mismatches: Found,
    },
}

fn too_deep(text: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > 128 {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn parsed(text: &str) -> Result<Ordered, &'static str> {
    if too_deep(text) {
        return Err("invalid_body");
    }
    let mut parser = serde_json::Deserializer::from_str(text);
    parser.disable_recursion_limit();
    let value = Ordered::deserialize(&mut parser)
        .and_then(|v| parser.end().map(|()| v))
        .map_err(|_| "invalid_body")?;
    match value {
        Ordered::Object(_) => Ok(value),
        _ => Err("invalid_body"),
    }
}

fn type_key(object: &Ordered, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.get(key)?.value() {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    })
}

fn oracle_event(text: &str, strict: bool, now: Option<i64>) -> Expected {
    let object = match parsed(text) {
        Ok(object) => object,
        Err(code) => return Expected::Error(code),
    };
    let Some(event_type) = type_key(&object, &["event_type", "event"]) else {
        return Expected::Error("invalid_payload");
    };
    let mut mismatches = Found::new();
    let typed_view = record(&object, IDENTIFICATION, "", &mut mismatches);
    let identification = event_type == "visitor.identified";
    if !identification {
        mismatches.clear();
    }
    if strict && !mismatches.is_empty() {
        return Expected::Error("invalid_payload");
    }
    if let Some(now) = now {
        let fresh = match &typed_view["timestamp"] {
            Value::String(s) => rfc3339(s).is_some_and(|t| (t - now).abs() <= 300),
            _ => false,
        };
        if !fresh {
            return Expected::Error("timestamp_out_of_tolerance");
        }
    }
    let typed = identification.then(|| {
        let mut view = typed_view;
        view["event_type"] = json!(event_type);
        view
    });
    Expected::Event {
        event_type,
        typed,
        mismatches,
    }
}

/// The two timestamps the generators write (the oracle needs no date library).
fn rfc3339(s: &str) -> Option<i64> {
    match s {
        "2025-01-15T10:30:00Z" => Some(1_736_937_000),
        "2025-01-15T10:30:00.5+01:00" => Some(1_736_933_400),
        _ => None,
    }
}

fn oracle_visit(text: &str, strict: bool) -> Result<(Value, Found), &'static str> {
    let object = parsed(text)?;
    let mut mismatches = Found::new();
    let mut view = record(&object, VISIT, "", &mut mismatches);
    if strict && !mismatches.is_empty() {
        return Err("invalid_payload");
    }
    view["event_type"] =
        type_key(&object, &["event_type", "event", "type"]).map_or(Value::Null, Value::String);
    Ok((view, mismatches))
}

fn listed(mismatches: &[Mismatch]) -> Found {
    mismatches
        .iter()
        .map(|m| {
            let name = |t: bullseye_webhooks::JsonType| -> &'static str {
                ["string", "integer", "number", "boolean", "object", "array"]
                    .into_iter()
                    .find(|n| *n == t.as_str())
                    .unwrap()
            };
            (
                m.path().to_owned(),
                name(m.expected()),
                name(m.found()),
                m.value(),
            )
        })
        .collect()
}

/// The JavaScript way: the parsed body, each mismatch's typed value written
/// at its path (`[path, expected, found, typed]` from `mismatches_json`).
fn patched(raw: &Value, mismatches: &[Mismatch]) -> Value {
    let mut object = raw.clone();
    let list = bullseye_webhooks::mismatches_json(mismatches);
    if list.is_empty() {
        return object;
    }
    let entries: Vec<Value> = serde_json::from_str(&list).unwrap();
    for entry in entries {
        let path = entry[0].as_str().unwrap();
        if let Some(slot) = object.pointer_mut(&format!("/{}", path.replace('.', "/"))) {
            *slot = entry[3].clone();
        }
    }
    object
}

/// Every documented path of `typed` (a typed view) holds the same value in `object`.
fn assert_documented_paths_agree(typed: &Value, object: &Value, fields: &[(&str, Ty)], text: &str) {
    for (name, ty) in fields {
        let want = &typed[*name];
        let got = object.get(*name).unwrap_or(&Value::Null);
        match ty {
            Ty::Record(inner) if want.is_object() => {
                assert_documented_paths_agree(want, got, inner, text)
            }
            Ty::List(inner) if want.is_array() => {
                for (i, item) in want.as_array().unwrap().iter().enumerate() {
                    if item.is_object() {
                        assert_documented_paths_agree(item, &got[i], inner, text);
                    } else {
                        assert_eq!(&got[i], &Value::Null, "{text}: {name}.{i}");
                    }
                }
            }
            // The JS view keeps a `null` where the typed view has None.
            _ => assert_eq!(got, want, "{text}: {name}"),
        }
    }
}

fn assert_event_matches_oracle(text: &str, strict: bool, tolerance: bool) {
    let mut webhook = Webhook::new(SECRET).unwrap().with_strict(strict);
    if tolerance {
        webhook = webhook.with_tolerance(std::time::Duration::from_secs(300));
    }
    let signature = sign(SECRET.as_bytes(), text.as_bytes());
    let now_secs = 1_736_937_000;
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now_secs as u64);
    let expected = oracle_event(text, strict, tolerance.then_some(now_secs));
    let built = webhook.construct_event_at(text.as_bytes(), &signature, now);
    let checked = webhook.check_event_at(text.as_bytes(), &signature, now);
    let got = match &built {
        Err(e) => Expected::Error(e.code()),
        Ok(event) => Expected::Event {
            event_type: event.event_type().to_owned(),
            typed: event
                .as_visitor_identified()
                .map(|e| serde_json::to_value(e).unwrap()),
            mismatches: listed(event.mismatches()),
        },
    };
    assert_eq!(got, expected, "{text}");
    match (&built, &checked) {
        (Ok(event), Ok(checked)) => {
            assert_eq!(checked.event_type, event.event_type(), "{text}");
            assert_eq!(checked.mismatches, event.mismatches(), "{text}");
            if let Some(typed) = event.as_visitor_identified() {
                let typed = serde_json::to_value(typed).unwrap();
                let object = patched(&Value::Object(event.raw().clone()), &checked.mismatches);
                assert_documented_paths_agree(&typed, &object, IDENTIFICATION, text);
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
        (a, b) => panic!("{text}: construct {a:?} but check {b:?}"),
    }
}

fn assert_visit_matches_oracle(text: &str, strict: bool) {
    let expected = oracle_visit(text, strict);
    let built = if strict {
        parse_visit_strict(text.as_bytes())
    } else {
        parse_visit(text.as_bytes())
    };
    let checked = check_visit(text.as_bytes(), strict);
    match (&built, expected) {
        (Ok(visit), Ok((view, mismatches))) => {
            assert_eq!(serde_json::to_value(visit).unwrap(), view, "{text}");
            assert_eq!(listed(visit.mismatches()), mismatches, "{text}");
            let checked = checked.unwrap_or_else(|e| panic!("{text}: check refused: {e}"));
            assert_eq!(checked.mismatches, visit.mismatches(), "{text}");
            assert_eq!(checked.event_type, visit.event_type, "{text}");
            // The JavaScript way, with the typings applied where the value
            // is still the string as sent.
            let mut object = patched(&Value::Object(visit.raw().clone()), &checked.mismatches);
            let typings: Vec<Value> = serde_json::from_str(&checked.typings_json).unwrap();
            for typing in typings {
                let pointer: String = typing[0]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| match s {
                        Value::String(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
                        other => format!("/{other}"),
                    })
                    .collect();
                if let Some(slot) = object.pointer_mut(&pointer) {
                    if *slot == typing[2] {
                        *slot = typing[1].clone();
                    }
                }
            }
            assert_documented_paths_agree(&view, &object, VISIT, text);
        }
        (Err(e), Err(code)) => {
            assert_eq!(e.code(), code, "{text}");
            assert_eq!(checked.err().as_ref(), Some(e), "{text}");
        }
        (got, want) => panic!("{text}: got {got:?}, the oracle expects {want:?}"),
    }
}

fn assert_all(text: &str) {
    for strict in [false, true] {
        for tolerance in [false, true] {
            assert_event_matches_oracle(text, strict, tolerance);
        }
        assert_visit_matches_oracle(text, strict);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_reader_matches_the_oracle_on_generated_documents(text in document()) {
        assert_all(&text);
    }

    #[test]
    fn the_reader_matches_the_oracle_on_any_value(text in text()) {
        assert_all(&text);
    }

    #[test]
    fn the_reader_matches_the_oracle_on_drifted_identifications(text in drifted()) {
        assert_all(&text);
    }
}

/// An identification with every documented field present, each sent with
/// a value of a random JSON type.
fn drifted() -> impl Strategy<Value = String> {
    fn members(fields: &'static [(&'static str, Ty)], depth: u32) -> BoxedStrategy<String> {
        let each: Vec<BoxedStrategy<String>> = fields
            .iter()
            .map(|(name, ty)| {
                let value = field_value(*ty, depth);
                value.prop_map(move |v| format!("\"{name}\":{v}")).boxed()
            })
            .collect();
        (each, any::<prop::sample::Index>())
            .prop_map(|(mut members, rotate)| {
                let n = members.len();
                members.rotate_left(rotate.index(n.max(1)));
                format!("{{{}}}", members.join(","))
            })
            .boxed()
    }
    fn field_value(ty: Ty, depth: u32) -> BoxedStrategy<String> {
        let scalar = prop_oneof![
            Just("null".to_owned()),
            Just("\"150\"".to_owned()),
            Just("\"0150\"".to_owned()),
            Just("\"true\"".to_owned()),
            Just("\"x\"".to_owned()),
            Just("42".to_owned()),
            Just("1.5".to_owned()),
            Just("-0".to_owned()),
            Just("9223372036854775808".to_owned()),
            Just("true".to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
        ];
        match ty {
            Ty::Record(fields) if depth < 2 => prop_oneof![3 => members(fields, depth + 1), 1 => scalar].boxed(),
            Ty::List(fields) if depth < 2 => prop_oneof![
                3 => proptest::collection::vec(prop_oneof![3 => members(fields, depth + 1), 1 => scalar.clone()], 0..3)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                1 => scalar,
            ]
            .boxed(),
            _ => scalar.boxed(),
        }
    }
    members(IDENTIFICATION, 0)
        .prop_map(|fields| format!("{{\"event\":\"visitor.identified\",{}", &fields[1..]))
}

#[test]
fn the_documented_examples_read_without_mismatch() {
    for (name, visit) in [
        ("bullseye-partner-api-identification.json", false),
        ("fingerprinting-api-visit.json", true),
    ] {
        let path = format!("{}/../fixtures/payloads/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_all(&text);
        if visit {
            assert!(
                parse_visit(text.as_bytes())
                    .unwrap()
                    .mismatches()
                    .is_empty()
            );
        } else {
            let webhook = Webhook::new(SECRET).unwrap().with_strict(true);
            let event = webhook
                .construct_event(text.as_bytes(), &sign(SECRET, text.as_bytes()))
                .unwrap();
            assert!(event.mismatches().is_empty());
            let event = event.as_visitor_identified().unwrap();
            assert_eq!(event.company().unwrap().size(), Some(150));
        }
    }
}

#[test]
fn the_reader_matches_the_oracle_on_hand_picked_texts() {
    for text in [
        r#"{"event":"visitor.identified","visitor":{"id":42},"company":{"id":"c1","size":"150"}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":-0}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":1.5}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":18446744073709551615}}"#,
        r#"{"event":"visitor.identified","visitor":{"id":1,"id":"x"},"visitor":{"id":7}}"#,
        r#"{"event":"visitor.identified","company":{"size":"x"},"visitor":{"id":1},"company":{"size":2}}"#,
        r#"{"event":"visitor.identified","page_views":[{"url":"u"},null,{"url":3},"x"]}"#,
        r#"{"event":"visitor.identified","page_views":[{"url":1},{"url":3}],"page_views":[]}"#,
        r#"{"event":"visitor.identified","session":{"pages_visited":9223372036854775808}}"#,
        r#"{"event":"visitor.identified","visitor":{"homeowner":"true","married":"True","persona_match":1}}"#,
        r#"{"event":"visitor.identified","timestamp":5,"visitor":3}"#,
        r#"{"event":"visitor.identified","session":{"first_visit":"tru\u0065","pages_visited":"\u0031\u0035"}}"#,
        r#"{"event_type":5,"event":"visitor.identified","company":{"size":"0150"}}"#,
        r#"{"event_type":"","event":"billing"}"#,
        r#"{"event_type":""}"#,
        r#"{"event":"billing","timestamp":5}"#,
        r#"{"event":"billing","timestamp":"\u0032025-01-15T10:30:00Z"}"#,
        // Named another type first, read as a generic event, unless a later
        // key makes it an identification after all.
        r#"{"event":"billing","organization_id":7,"event_type":"visitor.identified","visitor":{"id":3}}"#,
        r#"{"event_type":"billing","visitor":{"id":3},"event_type":"visitor.identified"}"#,
        r#"{"event_type":"vi\u0073itor.identified","visitor":{"id":1}}"#,
        r#"{"event_type":"billing","timestamp":"2025-01-15T10:30:00Z","session_id":12,"visitor":4}"#,
        r#"{"event_type":"billing","timestamp":"2025-01-15T10:30:00Z","timestamp":null}"#,
        r#"{"event":"billing","x":[1,{"a":tru}]}"#,
        r#"{"event":"billing","event":""}"#,
        r#"{"event_type":"NEW_VISIT","screen":{"w":"1920","h":"\u0031080","a":["true","x"]}}"#,
        r#"{"event_type":"NEW_VISIT","device":{"a":"6","a":"x"},"screen":{"a":["6"],"a":[]}}"#,
        r#"{"type":"NEW_VISITOR","visitor":{"id":5,"firstSeen":"12","company":{"name":"A","domain":2}}}"#,
        r#"{"event":7}"#,
        r#"{"event_type":null,"event":"x","type":3}"#,
        "{\"event\":\"x\"}\u{a0}",
        "\u{feff}{}",
        "",
        "[]",
        "1e400",
    ] {
        assert_all(text);
    }
}

#[test]
fn the_depth_limit_wins() {
    let nested = |depth: usize, inner: &str| {
        format!(
            "{{\"event\":\"x\",\"a\":{}{inner}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    for text in [
        nested(128, "1"),
        nested(129, "1"),
        nested(127, "1"),
        format!("{{\"event\":01,\"a\":{}}}", "[".repeat(200)),
        nested(129, "01"),
        nested(128, "01"),
        format!("{}x", nested(129, "1")),
        format!("{}x", nested(128, "1")),
        format!("[{}", "\"[".repeat(300)),
    ] {
        assert_all(&text);
    }
}

#[test]
fn strict_names_the_path_and_both_types_never_the_value() {
    let text = br#"{"event":"visitor.identified","company":{"size":"secret-ish 150"},"visitor":{"id":[1]}}"#;
    let webhook = Webhook::new(SECRET).unwrap().with_strict(true);
    let error = webhook
        .construct_event(text, &sign(SECRET, text))
        .unwrap_err();
    assert_eq!(
        error,
        Error::InvalidPayload("`company.size` must be an integer, but it is a string".to_owned())
    );
}
