//! The oracle's view of a text: serde_json decides whether it is JSON; an
//! object keeps every occurrence of its keys, in order.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub(crate) enum Ordered {
    Leaf(Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// Each key's last occurrence, ordered by where that occurrence is.
    pub(crate) fn members(&self) -> Vec<(String, Ordered)> {
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

    pub(crate) fn get(&self, key: &str) -> Option<Ordered> {
        self.members()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub(crate) fn value(&self) -> Value {
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
