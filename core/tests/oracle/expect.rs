//! What the oracle expects of a text: its typed view and mismatches under
//! the drift rules, or the error.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::documented::{IDENTIFICATION, Ty, VISIT};
use crate::ordered::Ordered;

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

pub(crate) type Found = Vec<(String, &'static str, &'static str, Value)>;

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
pub(crate) enum Expected {
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

pub(crate) fn oracle_event(text: &str, strict: bool, now: Option<i64>) -> Expected {
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

pub(crate) fn oracle_visit(text: &str, strict: bool) -> Result<(Value, Found), &'static str> {
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
