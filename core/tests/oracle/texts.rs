//! The generated texts: JSON built token by token (mostly valid), event
//! and visit objects around it (maybe broken), and drifted identifications.

use proptest::prelude::*;

use crate::documented::{IDENTIFICATION, Ty};

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
pub(crate) fn text() -> impl Strategy<Value = String> {
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
pub(crate) fn document() -> impl Strategy<Value = String> {
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

/// An identification with every documented field present, each sent with
/// a value of a random JSON type.
pub(crate) fn drifted() -> impl Strategy<Value = String> {
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
