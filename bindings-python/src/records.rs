//! The record classes, one getter per documented field, built from the
//! core's own declaration of each record (`each_record!`).

use bullseye_webhooks as core;
use core::{Access, Str};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString, PyTuple};
use serde_json::{Map, Value};

use crate::mismatches::{mismatch_count, py_mismatches};
use crate::values::{opt_clone, opt_str, py_json, py_object};

/// How a field of a record reaches Python: the core's type of the field,
/// what the class keeps beside the record (nested records, built once as
/// Python objects, so that `event.visitor.email` costs two attribute
/// lookups), and what a read returns.
pub(crate) trait Field {
    /// The field's type in the core's record.
    type Core: Access;
    /// What the class keeps beside the record.
    type Kept;
    /// Take out of the record's field, as stored, what is kept.
    fn keep(
        py: Python<'_>,
        value: &mut Option<<Self::Core as Access>::Slot>,
    ) -> PyResult<Self::Kept>;
    /// A read of the field, from its accessor.
    fn read(
        py: Python<'_>,
        value: Option<<Self::Core as Access>::Out<'_>>,
        kept: &Self::Kept,
    ) -> PyResult<Py<PyAny>>;
}

/// A field kept in the record and converted on each read (a dict or list
/// is a new object on each read, so callers cannot change the event).
macro_rules! read_field {
    ($ty:ty, |$py:ident, $value:ident| $read:expr) => {
        impl Field for $ty {
            type Core = $ty;
            type Kept = ();
            #[inline]
            fn keep(_: Python<'_>, _: &mut Option<<$ty as Access>::Slot>) -> PyResult<()> {
                Ok(())
            }
            #[inline]
            fn read(
                $py: Python<'_>,
                value: Option<<$ty as Access>::Out<'_>>,
                _: &(),
            ) -> PyResult<Py<PyAny>> {
                match value {
                    Some($value) => $read,
                    None => Ok($py.None()),
                }
            }
        }
    };
}

read_field!(Str, |py, text| Ok(PyString::new(py, text)
    .into_any()
    .unbind()));
read_field!(i64, |py, n| Ok(n.into_pyobject(py)?.into_any().unbind()));
read_field!(bool, |py, b| Ok(PyBool::new(py, b)
    .to_owned()
    .into_any()
    .unbind()));
read_field!(Map<String, Value>, |py, map| Ok(py_object(py, map)?
    .into_any()
    .unbind()));
read_field!(Value, |py, value| py_json(py, value));

/// A list of records: a tuple built once, a `null` item as None.
impl<R> Field for Vec<Option<R>>
where
    R: Field<Kept = Option<Py<R>>>,
    R::Core: Access<Slot = R::Core> + 'static,
{
    type Core = Vec<Option<R::Core>>;
    type Kept = Option<Py<PyTuple>>;
    fn keep(py: Python<'_>, value: &mut Option<Self::Core>) -> PyResult<Self::Kept> {
        let Some(items) = value.take() else {
            return Ok(None);
        };
        let items = items
            .into_iter()
            .map(|item| {
                let mut item = item;
                Ok(match R::keep(py, &mut item)? {
                    Some(object) => object.into_any(),
                    None => py.None(),
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Some(PyTuple::new(py, items)?.unbind()))
    }
    fn read(
        py: Python<'_>,
        _: Option<&[Option<R::Core>]>,
        kept: &Self::Kept,
    ) -> PyResult<Py<PyAny>> {
        Ok(opt_clone(py, kept))
    }
}

/// What a payload's class shows beside its fields: its type.
pub(crate) trait Payload {
    fn event_type(&self, py: Python<'_>) -> Py<PyAny>;
}

impl Payload for core::VisitorIdentified {
    fn event_type(&self, py: Python<'_>) -> Py<PyAny> {
        PyString::new(py, &self.event_type).into_any().unbind()
    }
}

impl Payload for core::Visit {
    fn event_type(&self, py: Python<'_>) -> Py<PyAny> {
        opt_str(py, self.event_type.as_deref())
    }
}

/// A record's `repr`: its class and the field that tells it apart, never
/// personal data.
pub(crate) trait Repr {
    fn repr(&self) -> String;
}

pub(crate) fn repr_by(class: &str, field: &str, value: Option<&str>) -> String {
    match value {
        Some(value) => format!("<{class} {field}={value:?}>"),
        None => format!("<{class}>"),
    }
}

impl Repr for core::Visitor {
    fn repr(&self) -> String {
        repr_by("Visitor", "id", self.id())
    }
}

impl Repr for core::Company {
    fn repr(&self) -> String {
        repr_by("Company", "domain", self.domain())
    }
}

impl Repr for core::Session {
    fn repr(&self) -> String {
        repr_by("Session", "created_at", self.created_at())
    }
}

impl Repr for core::PageView {
    fn repr(&self) -> String {
        repr_by("PageView", "visited_at", self.visited_at())
    }
}

impl Repr for core::VisitCompany {
    fn repr(&self) -> String {
        repr_by("VisitCompany", "domain", self.domain())
    }
}

impl Repr for core::VisitVisitor {
    fn repr(&self) -> String {
        format!("<VisitVisitor id={:?}>", self.id().unwrap_or(""))
    }
}

impl Repr for core::VisitorIdentified {
    fn repr(&self) -> String {
        format!(
            "<VisitorIdentifiedEvent event_type={:?} session_id={:?}{}>",
            self.event_type,
            self.session_id().unwrap_or(""),
            mismatch_count(self.mismatches())
        )
    }
}

impl Repr for core::Visit {
    fn repr(&self) -> String {
        format!(
            "<Visit event_type={:?} id={:?}{}>",
            self.event_type.as_deref().unwrap_or(""),
            self.id().unwrap_or(""),
            mismatch_count(self.mismatches())
        )
    }
}

/// A frozen class over a core record, one getter per documented field, from
/// the core's own declaration of the record (`each_record!`, below): a
/// field is written once, in the core's schema. The class is named as the
/// record; a field's Rust type names its class when it is a record.
macro_rules! py_record {
    // A payload (it has members beside its fields): also its type, its
    // mismatches, the whole object and its delivery key.
    (
        #[doc = $doc:literal] $(#[$meta:meta])*
        $vis:vis struct $name:ident $(= $api_name:literal)? {
            @extra { $($extra:tt)* }
            $( #[doc = $field_doc:literal] $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        py_record!(@class $doc, $name, Box<core::$name>, [$($api_name)?], [
            #[getter]
            fn event_type(&self, py: Python<'_>) -> Py<PyAny> {
                self.inner.event_type(py)
            }
            /// The documented fields of another JSON type, in document order.
            #[getter]
            fn mismatches<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                py_mismatches(py, self.inner.mismatches())
            }
            /// The whole payload object as received (a new dict on each call).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                py_object(py, self.inner.raw())
            }
            /// The key that de-duplicates this delivery (the core's rule, no secret in it).
            #[getter]
            fn delivery_key(&self) -> String {
                self.inner.delivery_key()
            }
            /// The hex SHA-256 of the body as received, kept with the claim
            /// to tell the same key with a different body apart.
            #[getter]
            fn body_hash(&self) -> String {
                self.inner.body_hash()
            }
        ], $( [$field_doc] $field: $ty ),*);
    };
    (
        #[doc = $doc:literal] $(#[$meta:meta])*
        $vis:vis struct $name:ident $(= $api_name:literal)? {
            $( #[doc = $field_doc:literal] $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        py_record!(@class $doc, $name, core::$name, [$($api_name)?], [], $( [$field_doc] $field: $ty ),*);
    };
    (@class $doc:literal, $name:ident, $store:ty, [$($api_name:literal)?], [$($methods:tt)*],
        $( [$field_doc:literal] $field:ident: $ty:ty ),*) => {
        #[doc = $doc]
        // A freelist: each event makes several of these objects (the
        // records are too large for Python's small-object allocator), and a
        // receiver makes them over and over.
        #[pyclass(frozen, freelist = 32, module = "bullseye_webhooks._native" $(, name = $api_name)?)]
        pub(crate) struct $name {
            inner: $store,
            $( $field: <$ty as Field>::Kept, )*
        }

        impl $name {
            /// The class over `inner`, its nested records built.
            pub(crate) fn new(py: Python<'_>, inner: impl Into<$store>) -> PyResult<Self> {
                let mut inner: $store = inner.into();
                $( let $field = <$ty as Field>::keep(py, inner.slots().$field())?; )*
                Ok(Self { inner, $( $field ),* })
            }
        }

        impl Field for $name {
            type Core = core::$name;
            type Kept = Option<Py<$name>>;
            fn keep(py: Python<'_>, value: &mut Option<core::$name>) -> PyResult<Self::Kept> {
                value
                    .take()
                    .map(|inner| -> PyResult<Py<$name>> { Py::new(py, $name::new(py, inner)?) })
                    .transpose()
            }
            fn read(py: Python<'_>, _: Option<&core::$name>, kept: &Self::Kept) -> PyResult<Py<PyAny>> {
                Ok(opt_clone(py, kept))
            }
        }

        #[pymethods]
        impl $name {
            $(
                #[doc = $field_doc]
                #[getter]
                fn $field(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    <$ty as Field>::read(py, self.inner.$field(), &self.$field)
                }
            )*
            $($methods)*
            fn __repr__(&self) -> String {
                self.inner.repr()
            }
        }
    };
}

// The classes of the records, in the core's names: a field's type names
// the class of a nested record.
bullseye_webhooks::each_record!(py_record);
