//! Strict, allocation-light reading of documented fields out of a JSON object.
//!
//! A documented field that is absent or `null` reads as `None`; present with
//! the wrong type, it is `invalid_payload` naming the field's path (never its
//! value, which may be personal data).

use std::fmt;

use serde_json::{Map, Value};

use crate::Error;
use crate::check::{ID_EXPECTED, Shape, Shaped};
use crate::json::kind_of;

/// Where a value sits in the payload, built on the stack and only formatted
/// when an error needs it.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => write!(f, "{key}"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// A type a documented field can have.
pub(crate) trait FromJson: Sized {
    /// Convert a present, non-null value.
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error>;
}

pub(crate) fn wrong_type(path: Path<'_>, expected: &str, got: &Value) -> Error {
    mismatch(path, expected, kind_of(got))
}

/// `invalid_payload` for the field at `path`: every path words it this way.
pub(crate) fn mismatch(path: impl fmt::Display, expected: &str, found: &str) -> Error {
    Error::InvalidPayload(format!("`{path}` must be {expected}, but it is {found}"))
}

/// Read `key` of `object` as an optional `T`.
pub(crate) fn field<T: FromJson>(
    object: &Map<String, Value>,
    key: &str,
    parent: Path<'_>,
) -> Result<Option<T>, Error> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::from_json(value, Path::Key(&parent, key)).map(Some),
    }
}

impl FromJson for String {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong_type(path, "a string", value))
    }
}

/// An identifier field: a JSON string, or an integer read as its decimal
/// text (the documents do not say which Bullseye sends; a fraction is no
/// id). Reads as `String`.
pub(crate) struct Id(String);

impl FromJson for Id {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        match value {
            Value::String(s) => Ok(Id(s.clone())),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Id(n.to_string())),
            other => Err(wrong_type(path, ID_EXPECTED, other)),
        }
    }
}

impl Shaped for Id {
    const SHAPE: Shape = Shape::Id;
}

impl<'de> serde::Deserialize<'de> for Id {
    /// The fast path reads strings only; a number falls back to the
    /// reference path, which reads it as its decimal text.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Id)
    }
}

impl From<Id> for String {
    fn from(Id(s): Id) -> Self {
        s
    }
}

impl FromJson for bool {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        value
            .as_bool()
            .ok_or_else(|| wrong_type(path, "a boolean", value))
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        value
            .as_i64()
            .ok_or_else(|| wrong_type(path, "an integer", value))
    }
}

impl FromJson for f64 {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        value
            .as_f64()
            .ok_or_else(|| wrong_type(path, "a number", value))
    }
}

impl FromJson for Map<String, Value> {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        value
            .as_object()
            .cloned()
            .ok_or_else(|| wrong_type(path, "an object", value))
    }
}

impl FromJson for Value {
    fn from_json(value: &Value, _path: Path<'_>) -> Result<Self, Error> {
        Ok(value.clone())
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        let items = value
            .as_array()
            .ok_or_else(|| wrong_type(path, "an array", value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item, Path::Index(&path, i)))
            .collect()
    }
}

/// An unknown value on the fast path: read and dropped, but read as strictly
/// as the reference parser would (escapes, number ranges, and the parser's
/// recursion limit), unlike serde's `IgnoredAny`, which skims. Allocates
/// nothing for strings and numbers.
pub(crate) struct Skipped;

impl<'de> serde::Deserialize<'de> for Skipped {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkippedVisitor)
    }
}

struct SkippedVisitor;

impl<'de> serde::de::Visitor<'de> for SkippedVisitor {
    type Value = Skipped;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_unit<E>(self) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skipped, A::Error> {
        while seq.next_element::<Skipped>()?.is_some() {}
        Ok(Skipped)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Skipped, A::Error> {
        while map.next_entry::<Skipped, Skipped>()?.is_some() {}
        Ok(Skipped)
    }
}

/// Declare a record of documented fields, all optional, read strictly from
/// a JSON object. Field names are the payload's own keys unless renamed with
/// `= "key"`; `as Reader` reads the field through another [`FromJson`] type.
///
/// Two readers are generated: [`FromJson`] (the reference path, from a
/// parsed `Value`) and a `Deserialize` that accepts only a JSON object (the
/// fast path; serde's derive would also accept an array, which the
/// reference path refuses). Unknown keys are skipped; a repeated key
/// overwrites, as it does in the parsed object. The record's fields and
/// their shapes are also listed once, as `check::Record::FIELDS`, for the
/// lean readers of `check`.
macro_rules! record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
        #[non_exhaustive]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                $( #[serde(rename = $key)] )?
                pub $field: Option<$ty>,
            )*
        }

        impl $crate::fields::FromJson for $name {
            fn from_json(
                value: &serde_json::Value,
                path: $crate::fields::Path<'_>,
            ) -> Result<Self, $crate::Error> {
                let object = value
                    .as_object()
                    .ok_or_else(|| $crate::fields::wrong_type(path, "an object", value))?;
                Self::from_object(object, path)
            }
        }

        impl $name {
            #[allow(unused_variables, dead_code)]
            pub(crate) fn from_object(
                object: &serde_json::Map<String, serde_json::Value>,
                path: $crate::fields::Path<'_>,
            ) -> Result<Self, $crate::Error> {
                Ok(Self {
                    $( $field: $crate::fields::field::<record!(@reader $ty $(, $reader)?)>(
                        object,
                        record!(@key $field $($key)?),
                        path,
                    )?.map(Into::into), )*
                })
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectOnly;
                impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        // A key with escapes cannot be borrowed: that fails
                        // here and the reference path reads it.
                        while let Some(key) = map.next_key::<&'de str>()? {
                            match key {
                                $( record!(@key $field $($key)?) => {
                                    out.$field = map
                                        .next_value::<Option<record!(@reader $ty $(, $reader)?)>>()?
                                        .map(Into::into);
                                } )*
                                _ => {
                                    map.next_value::<$crate::fields::Skipped>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(ObjectOnly)
            }
        }

        impl $crate::check::Record for $name {
            const FIELDS: &'static [$crate::check::Field] = &[
                $( (
                    record!(@key $field $($key)?),
                    <record!(@reader $ty $(, $reader)?) as $crate::check::Shaped>::SHAPE,
                ), )*
            ];
        }

        const _: () = assert!(
            <$name as $crate::check::Record>::FIELDS.len() <= $crate::check::MAX_FIELDS,
            "a record has more fields than the lean check's slots",
        );

        impl $crate::check::Shaped for $name {
            const SHAPE: $crate::check::Shape =
                $crate::check::Shape::Record(<$name as $crate::check::Record>::FIELDS);
        }
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
    (@reader $ty:ty, $reader:ty) => { $reader };
    (@reader $ty:ty) => { $ty };
}

pub(crate) use record;
