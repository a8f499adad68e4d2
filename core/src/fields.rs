//! Strict, allocation-light reading of documented fields out of a JSON object.
//!
//! A documented field that is absent or `null` reads as `None`; present with
//! the wrong type, it is `invalid_payload` naming the field's path (never its
//! value, which may be personal data).

use std::fmt;

use serde_json::{Map, Value};

use crate::Error;
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
    Error::InvalidPayload(format!(
        "`{path}` must be {expected}, but it is {}",
        kind_of(got)
    ))
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

/// An identifier field: a JSON string, or a number read as its decimal text
/// (the documents do not say which Bullseye sends). Reads as `String`.
pub(crate) struct Id(String);

impl FromJson for Id {
    fn from_json(value: &Value, path: Path<'_>) -> Result<Self, Error> {
        match value {
            Value::String(s) => Ok(Id(s.clone())),
            Value::Number(n) => Ok(Id(n.to_string())),
            other => Err(wrong_type(path, "a string", other)),
        }
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

/// Declare a record of documented fields, all optional, read strictly from
/// a JSON object. Field names are the payload's own keys unless renamed with
/// `= "key"`.
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
        #[non_exhaustive]
        pub struct $name {
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
            #[allow(unused_variables)]
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
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
    (@reader $ty:ty, $reader:ty) => { $reader };
    (@reader $ty:ty) => { $ty };
}

pub(crate) use record;
