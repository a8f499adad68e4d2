//! The typing rule for string-encoded scalars in a visit's descriptive
//! objects (see [`crate::visit`]): `"true"`/`"false"` and canonical decimal
//! integers that fit an `i64` are typed; everything else stays as sent.

use serde_json::Value;

/// The typed view of a descriptive value (see the module docs for the rule).
pub(crate) fn typed(value: &Value) -> Value {
    match value {
        Value::String(s) => typed_scalar(s).unwrap_or_else(|| value.clone()),
        Value::Array(items) => Value::Array(items.iter().map(typed).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), typed(v))).collect())
        }
        other => other.clone(),
    }
}

fn typed_scalar(s: &str) -> Option<Value> {
    scalar(s).map(|scalar| match scalar {
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Integer(n) => Value::from(n),
    })
}

/// A string-encoded scalar, typed.
pub(crate) enum Scalar {
    Bool(bool),
    /// An integer; the string was its canonical decimal text.
    Integer(i64),
}

impl Scalar {
    /// The typed value as JSON text.
    pub(crate) fn json(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Integer(n) => n.to_string(),
        }
    }
}

/// The typing rule for one string (see the module docs).
pub(crate) fn scalar(s: &str) -> Option<Scalar> {
    match s {
        "true" => return Some(Scalar::Bool(true)),
        "false" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if !canonical {
        return None;
    }
    s.parse::<i64>().ok().map(Scalar::Integer)
}

#[cfg(test)]
mod tests {
    use super::typed;
    use serde_json::json;

    #[test]
    fn typing_rule() {
        let sent = json!({
            "a": "6", "b": "true", "c": "false", "d": "-12", "e": "0", "f": "0123",
            "g": "1.5", "h": "-0", "i": "99999999999999999999", "j": "True", "k": "",
            "l": ["7", {"m": "false"}], "n": 3, "o": null
        });
        let expected = json!({
            "a": 6, "b": true, "c": false, "d": -12, "e": 0, "f": "0123",
            "g": "1.5", "h": "-0", "i": "99999999999999999999", "j": "True", "k": "",
            "l": [7, {"m": false}], "n": 3, "o": null
        });
        assert_eq!(typed(&sent), expected);
    }
}
