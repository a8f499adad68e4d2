//! The Python binding: converts arguments, maps errors, adds types. Every
//! rule lives in the core crate.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks as core;
use core::Str;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};
use serde_json::{Map, Value};

/// Bodies at least this long are hashed with the GIL released: below it,
/// releasing and re-taking the GIL costs more than it frees.
const DETACH_AT_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------- errors

/// `bullseye_webhooks._errors.error_for(code, message)`, looked up once.
static ERROR_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: the pure-Python class of its code
/// (`SignatureVerificationError`, `PayloadError` or `WebhookError`), `.code` set.
fn py_error(py: Python<'_>, error: &core::Error) -> PyErr {
    let made = ERROR_FACTORY
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("bullseye_webhooks._errors")?
                .getattr("error_for")?
                .unbind())
        })
        .and_then(|factory| factory.bind(py).call1((error.code(), error.to_string())));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failure) => import_failure,
    }
}

trait OrPyError<T> {
    fn or_py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrPyError<T> for Result<T, core::Error> {
    fn or_py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| py_error(py, &e))
    }
}

// ---------------------------------------------------------------- arguments

/// The raw body as bytes. `bytes` is borrowed, `str` is its UTF-8, other
/// buffers are copied after their size is checked against `max`, so a huge
/// `memoryview` is refused without a copy.
fn body_bytes<'a>(
    py: Python<'_>,
    body: &'a Bound<'_, PyAny>,
    max: usize,
) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(bytes) = body.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(bytes.as_bytes()));
    }
    if let Ok(text) = body.cast::<PyString>() {
        // UTF-8 is never shorter than the number of code points.
        let chars = text.len()?;
        if chars > max {
            return Err(too_large(py, max, chars));
        }
        return match text.to_cow() {
            Ok(utf8) => Ok(Cow::Owned(utf8.into_owned().into_bytes())),
            // Lone surrogates: hash what such a sender would have sent.
            Err(_) => {
                let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
                Ok(Cow::Owned(encoded.cast::<PyBytes>()?.as_bytes().to_vec()))
            }
        };
    }
    if body.is_instance_of::<PyDict>() || body.is_instance_of::<PyList>() {
        return Err(py_error(
            py,
            &core::Error::InvalidBody(
                "the body is an already-parsed object; pass the raw request body \
                 (bytes, exactly as received): parsing and re-serializing changes \
                 the bytes the signature covers"
                    .to_owned(),
            ),
        ));
    }
    // Any other buffer (bytearray, memoryview, mmap, array): through a
    // memoryview, whose size is known before anything is copied. (The
    // buffer protocol is not in the stable ABI before Python 3.11.)
    let memoryview = py.import("builtins")?.getattr("memoryview")?;
    if let Ok(view) = memoryview.call1((body,)) {
        let len: usize = view.getattr("nbytes")?.extract()?;
        if len > max {
            return Err(too_large(py, max, len));
        }
        let copied = view.call_method0("tobytes")?;
        return Ok(Cow::Owned(copied.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "body must be bytes, bytearray, memoryview or str (the raw request body), not {}",
        type_name(body)
    )))
}

fn too_large(py: Python<'_>, limit: usize, actual: usize) -> PyErr {
    py_error(py, &core::Error::BodyTooLarge { limit, actual })
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "an unknown type".to_owned())
}

/// The signature from a header value or a headers mapping. `None` and an
/// absent header both read as "" (the core's `missing_signature`).
fn signature_text(value: Option<&Bound<'_, PyAny>>, header: &str) -> PyResult<String> {
    let Some(value) = value else {
        return Ok(String::new());
    };
    if value.is_none() {
        return Ok(String::new());
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_cow()?.into_owned());
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(String::from_utf8_lossy(bytes.as_bytes()).into_owned());
    }
    if value.hasattr("items")? {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in value.call_method0("items")?.try_iter()? {
            let item = item?;
            let (key, val): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            if let (Ok(key), Ok(val)) = (header_text(&key), header_text(&val)) {
                pairs.push((key, val));
            }
        }
        let found = core::find_header(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), header);
        return Ok(found.map(Cow::into_owned).unwrap_or_default());
    }
    Err(PyTypeError::new_err(format!(
        "signature_or_headers must be the {header} header's value (str) or a headers mapping, not {}",
        type_name(value)
    )))
}

fn header_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(String::from_utf8_lossy(bytes.as_bytes()).into_owned());
    }
    Ok(value.cast::<PyString>()?.to_cow()?.into_owned())
}

/// A request's headers as (name, value) pairs: a mapping (dict, Starlette,
/// Flask or Django headers: anything with `items()`) or a sequence of
/// (name, value) pairs; None is no header. Names and values that are
/// neither `str` nor `bytes` are skipped.
fn header_pairs(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "headers must be the request's headers (a mapping, or (name, value) pairs), not one value: \
             Bitnob's signature is checked with its timestamp header",
        ));
    }
    let items = if value.hasattr("items")? {
        value.call_method0("items")?
    } else {
        value.clone()
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for item in items.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "headers must be a mapping or (name, value) pairs, not {}",
            type_name(value)
        ))
    })? {
        let item = item?;
        // A (name, value) tuple, or a [name, value] list (headers read from JSON).
        let pair = match item.cast::<PyList>() {
            Ok(list) if list.len() == 2 => Some((list.get_item(0)?, list.get_item(1)?)),
            Ok(_) => None,
            Err(_) => item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>().ok(),
        };
        let (key, val) = pair.ok_or_else(|| {
            PyTypeError::new_err("headers must be a mapping or (name, value) pairs")
        })?;
        if let (Ok(key), Ok(val)) = (header_text(&key), header_text(&val)) {
            pairs.push((key, val));
        }
    }
    Ok(pairs)
}

/// One secret as bytes: a `str` is its UTF-8, `bytes` are used as they are.
fn secret_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "a secret must be str or bytes, not {}",
        type_name(value)
    )))
}

fn secrets_of(value: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Ok(vec![secret_bytes(value)?]);
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        return value.try_iter()?.map(|item| secret_bytes(&item?)).collect();
    }
    Err(PyTypeError::new_err(format!(
        "secret must be str, bytes, or a list of them (for rotation), not {}",
        type_name(value)
    )))
}

/// Seconds from a number or a `datetime.timedelta`.
fn seconds_of(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    let seconds = if value.hasattr("total_seconds")? {
        value.call_method0("total_seconds")?.extract::<f64>()?
    } else if value.is_instance_of::<PyBool>() {
        f64::NAN
    } else {
        value.extract::<f64>().unwrap_or(f64::NAN)
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(PyValueError::new_err(format!(
            "{what} must be a non-negative number of seconds or a timedelta"
        )));
    }
    Ok(seconds)
}

/// The clock for the tolerance check: a `datetime` (aware), Unix seconds, or now.
fn now_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<SystemTime> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(SystemTime::now());
    };
    let seconds: f64 = if value.hasattr("timestamp")? {
        value.call_method0("timestamp")?.extract()?
    } else {
        value.extract()?
    };
    if !seconds.is_finite() {
        return Err(PyValueError::new_err("now must be a finite time"));
    }
    Ok(if seconds >= 0.0 {
        UNIX_EPOCH + Duration::from_secs_f64(seconds)
    } else {
        UNIX_EPOCH - Duration::from_secs_f64(-seconds)
    })
}

// ---------------------------------------------------------------- JSON values

/// A JSON value as a fresh Python object (so callers can't mutate an event).
fn py_json(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(py_json(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => py_object(py, map)?.into_any().unbind(),
    })
}

fn py_object<'py>(
    py: Python<'py>,
    map: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, py_json(py, value)?)?;
    }
    Ok(dict)
}

// ---------------------------------------------------------------- records

/// How a field of a record reaches Python: the core's type of the field,
/// what the class keeps beside the record (nested records, built once as
/// Python objects, so that `event.visitor.email` costs two attribute
/// lookups), and what a read returns.
trait Field {
    /// The field's type in the core's record.
    type Core;
    /// What the class keeps beside the record.
    type Kept;
    /// Take out of the record's field what is kept.
    fn keep(py: Python<'_>, value: &mut Option<Self::Core>) -> PyResult<Self::Kept>;
    /// A read of the field.
    fn read(py: Python<'_>, value: &Option<Self::Core>, kept: &Self::Kept) -> PyResult<Py<PyAny>>;
}

/// A field kept in the record and converted on each read (a dict or list
/// is a new object on each read, so callers cannot change the event).
macro_rules! read_field {
    ($ty:ty, |$py:ident, $value:ident| $read:expr) => {
        impl Field for $ty {
            type Core = $ty;
            type Kept = ();
            #[inline]
            fn keep(_: Python<'_>, _: &mut Option<$ty>) -> PyResult<()> {
                Ok(())
            }
            #[inline]
            fn read($py: Python<'_>, value: &Option<$ty>, _: &()) -> PyResult<Py<PyAny>> {
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
read_field!(i64, |py, n| Ok((*n).into_pyobject(py)?.into_any().unbind()));
read_field!(bool, |py, b| Ok(PyBool::new(py, *b)
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
    fn read(py: Python<'_>, _: &Option<Self::Core>, kept: &Self::Kept) -> PyResult<Py<PyAny>> {
        Ok(opt_clone(py, kept))
    }
}

/// What a payload's class shows beside its fields: its type.
trait Payload {
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
trait Repr {
    fn repr(&self) -> String;
}

fn repr_by(class: &str, field: &str, value: Option<&Str>) -> String {
    match value {
        Some(value) => format!("<{class} {field}={value:?}>"),
        None => format!("<{class}>"),
    }
}

impl Repr for core::Visitor {
    fn repr(&self) -> String {
        repr_by("Visitor", "id", self.id.as_ref())
    }
}

impl Repr for core::Company {
    fn repr(&self) -> String {
        repr_by("Company", "domain", self.domain.as_ref())
    }
}

impl Repr for core::Session {
    fn repr(&self) -> String {
        repr_by("Session", "created_at", self.created_at.as_ref())
    }
}

impl Repr for core::PageView {
    fn repr(&self) -> String {
        repr_by("PageView", "visited_at", self.visited_at.as_ref())
    }
}

impl Repr for core::VisitCompany {
    fn repr(&self) -> String {
        repr_by("VisitCompany", "domain", self.domain.as_ref())
    }
}

impl Repr for core::VisitVisitor {
    fn repr(&self) -> String {
        format!("<VisitVisitor id={:?}>", self.id.as_deref().unwrap_or(""))
    }
}

impl Repr for core::VisitorIdentified {
    fn repr(&self) -> String {
        format!(
            "<VisitorIdentifiedEvent event_type={:?} session_id={:?}{}>",
            self.event_type,
            self.session_id.as_deref().unwrap_or(""),
            mismatch_count(self.mismatches())
        )
    }
}

impl Repr for core::Visit {
    fn repr(&self) -> String {
        format!(
            "<Visit event_type={:?} id={:?}{}>",
            self.event_type.as_deref().unwrap_or(""),
            self.id.as_deref().unwrap_or(""),
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
        py_record!(@class $doc, $name, [$($api_name)?], [
            #[getter]
            fn event_type(&self, py: Python<'_>) -> Py<PyAny> {
                Payload::event_type(&self.inner, py)
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
        ], $( [$field_doc] $field: $ty ),*);
    };
    (
        #[doc = $doc:literal] $(#[$meta:meta])*
        $vis:vis struct $name:ident $(= $api_name:literal)? {
            $( #[doc = $field_doc:literal] $field:ident $(= $key:literal)? : $ty:ty $(as $reader:ty)? ),* $(,)?
        }
    ) => {
        py_record!(@class $doc, $name, [$($api_name)?], [], $( [$field_doc] $field: $ty ),*);
    };
    (@class $doc:literal, $name:ident, [$($api_name:literal)?], [$($methods:tt)*],
        $( [$field_doc:literal] $field:ident: $ty:ty ),*) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "bullseye_webhooks._native" $(, name = $api_name)?)]
        pub(crate) struct $name {
            inner: core::$name,
            $( $field: <$ty as Field>::Kept, )*
        }

        impl $name {
            /// The class over `inner`, its nested records built.
            pub(crate) fn new(py: Python<'_>, mut inner: core::$name) -> PyResult<Self> {
                $( let $field = <$ty as Field>::keep(py, &mut inner.$field)?; )*
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
            fn read(py: Python<'_>, _: &Option<core::$name>, kept: &Self::Kept) -> PyResult<Py<PyAny>> {
                Ok(opt_clone(py, kept))
            }
        }

        #[pymethods]
        impl $name {
            $(
                #[doc = $field_doc]
                #[getter]
                fn $field(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    <$ty as Field>::read(py, &self.inner.$field, &self.$field)
                }
            )*
            $($methods)*
            fn __repr__(&self) -> String {
                Repr::repr(&self.inner)
            }
        }
    };
}

/// The classes of the records, in the core's names: a field's type names
/// the class of a nested record.
mod records {
    use super::*;

    bullseye_webhooks::each_record!(py_record);
}
use records::{Visit, VisitorIdentified};

// ---------------------------------------------------------------- mismatches

/// `bullseye_webhooks._values.value_of(text)`, looked up once: a value as
/// sent, read by Python's `json` so integers beyond 64 bits stay exact.
static VALUE_OF: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A documented field whose value was not of its documented JSON type: the
/// delivery was accepted, the typed view holds the converted value or None.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "Mismatch")]
struct PyMismatch {
    inner: core::Mismatch,
}

/// A function of `bullseye_webhooks._values`, looked up once.
fn values_fn<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("bullseye_webhooks._values")?
            .getattr(name)?
            .unbind())
    })
    .map(|f| f.bind(py))
}

/// `_values.same_value(a, b)`: JSON equality of two value texts.
static SAME_VALUE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

impl PyMismatch {
    /// What equality compares: the path, both types, and the value as sent
    /// (as JSON: `1`, `1.0` and `true` differ), not where it was in the body.
    fn same(&self, py: Python<'_>, other: &Self) -> PyResult<bool> {
        let (a, b) = (&self.inner, &other.inner);
        if a.path() != b.path() || a.expected() != b.expected() || a.found() != b.found() {
            return Ok(false);
        }
        if a.value_json() == b.value_json() {
            return Ok(true);
        }
        values_fn(py, &SAME_VALUE, "same_value")?
            .call1((a.value_json(), b.value_json()))?
            .is_truthy()
    }
}

#[pymethods]
impl PyMismatch {
    /// Where the field is: dotted keys with list indexes (`page_views.3.url`).
    #[getter]
    fn path(&self) -> &str {
        self.inner.path()
    }
    /// The documented JSON type: string, integer, number, boolean, object or array.
    #[getter]
    fn expected(&self) -> &'static str {
        self.inner.expected().as_str()
    }
    /// The JSON type sent.
    #[getter]
    fn found(&self) -> &'static str {
        self.inner.found().as_str()
    }
    /// The value exactly as sent (a new object on each read).
    #[getter]
    fn value(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let read = values_fn(py, &VALUE_OF, "value_of")
            .and_then(|value_of| value_of.call1((self.inner.value_json(),)));
        match read {
            Ok(value) => Ok(value.unbind()),
            // An integer too long for `int()`: as the core reads it.
            Err(_) => py_json(py, &self.inner.value()),
        }
    }
    fn __eq__(&self, py: Python<'_>, other: PyRef<'_, Self>) -> PyResult<bool> {
        self.same(py, &other)
    }
    fn __ne__(&self, py: Python<'_>, other: PyRef<'_, Self>) -> PyResult<bool> {
        self.same(py, &other).map(|same| !same)
    }
    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        (self.inner.path(), self.inner.expected(), self.inner.found()).hash(&mut hasher);
        hasher.finish()
    }
    /// No value: it may be personal data, and reprs end up in logs.
    fn __repr__(&self) -> String {
        // Paths are documented keys and indexes: nothing to escape.
        format!(
            "Mismatch(path='{}', expected='{}', found='{}')",
            self.inner.path(),
            self.inner.expected().as_str(),
            self.inner.found().as_str()
        )
    }
}

/// A tuple of `Mismatch` (built on each read; empty without any).
fn py_mismatches<'py>(
    py: Python<'py>,
    mismatches: &[core::Mismatch],
) -> PyResult<Bound<'py, PyTuple>> {
    if mismatches.is_empty() {
        return Ok(PyTuple::empty(py));
    }
    let items = mismatches
        .iter()
        .map(|m| Py::new(py, PyMismatch { inner: m.clone() }))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

fn mismatch_count(mismatches: &[core::Mismatch]) -> String {
    match mismatches.len() {
        0 => String::new(),
        n => format!(" mismatches={n}"),
    }
}

// ---------------------------------------------------------------- events

fn opt_str(py: Python<'_>, value: Option<&str>) -> Py<PyAny> {
    value.map_or_else(|| py.None(), |s| PyString::new(py, s).into_any().unbind())
}

fn opt_clone<T>(py: Python<'_>, value: &Option<Py<T>>) -> Py<PyAny> {
    value
        .as_ref()
        .map_or_else(|| py.None(), |v| v.clone_ref(py).into_any())
}

/// A verified event of any other type: its type and the whole object.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "GenericEvent")]
struct PyGenericEvent {
    event: core::GenericEvent,
}

#[pymethods]
impl PyGenericEvent {
    #[getter]
    fn event_type(&self) -> &str {
        &self.event.event_type
    }
    /// Always empty: only identifications have documented fields.
    #[getter]
    fn mismatches<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        PyTuple::empty(py)
    }
    /// The whole payload object as received (a new dict on each call).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        py_object(py, self.event.raw())
    }
    /// The key that de-duplicates this delivery (the core's rule, no secret in it).
    #[getter]
    fn delivery_key(&self) -> String {
        self.event.delivery_key()
    }
    fn __repr__(&self) -> String {
        format!("<GenericEvent event_type={:?}>", self.event.event_type)
    }
}

fn py_event(py: Python<'_>, event: core::Event) -> PyResult<Py<PyAny>> {
    match event {
        core::Event::VisitorIdentified(event) => {
            Ok(Py::new(py, VisitorIdentified::new(py, *event)?)?.into_any())
        }
        core::Event::Other(event) => Ok(Py::new(py, PyGenericEvent { event })?.into_any()),
        // `Event` is non-exhaustive: a new kind reaches Python generically.
        other => Err(PyTypeError::new_err(format!(
            "unsupported event kind {:?}",
            other.event_type()
        ))),
    }
}

// ---------------------------------------------------------------- visits

fn py_visit(py: Python<'_>, visit: core::Visit) -> PyResult<Py<Visit>> {
    Py::new(py, Visit::new(py, visit)?)
}

// ---------------------------------------------------------------- Webhook

/// A verifier holding one secret or several (rotation).
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "Webhook")]
struct PyWebhook {
    inner: core::Webhook,
}

impl PyWebhook {
    /// Run `work` on the body, with the GIL released for large bodies.
    fn with_body<T: Send>(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        work: impl FnOnce(&[u8]) -> Result<T, core::Error> + Send,
    ) -> PyResult<T> {
        let bytes = body_bytes(py, body, self.inner.max_body_bytes())?;
        let result = if bytes.len() >= DETACH_AT_BYTES {
            py.detach(|| work(&bytes))
        } else {
            work(&bytes)
        };
        result.or_py(py)
    }
}

#[pymethods]
impl PyWebhook {
    #[new]
    #[pyo3(signature = (secret, *, tolerance = None, max_body_bytes = core::DEFAULT_MAX_BODY_BYTES as i64, strict = false))]
    fn new(
        py: Python<'_>,
        secret: &Bound<'_, PyAny>,
        tolerance: Option<&Bound<'_, PyAny>>,
        max_body_bytes: i64,
        strict: bool,
    ) -> PyResult<Self> {
        let secrets = secrets_of(secret)?;
        let mut inner = core::Webhook::with_secrets(&secrets).or_py(py)?;
        if let Some(tolerance) = tolerance.filter(|t| !t.is_none()) {
            let seconds = seconds_of(tolerance, "tolerance")?;
            inner = inner.with_tolerance(Duration::from_secs_f64(seconds));
        }
        let max = usize::try_from(max_body_bytes).map_err(|_| {
            PyValueError::new_err("max_body_bytes must be a non-negative number of bytes")
        })?;
        Ok(Self {
            inner: inner.with_max_body_bytes(max).with_strict(strict),
        })
    }

    /// Whether a documented field of another JSON type is refused
    /// (`invalid_payload`) instead of reported in `mismatches`.
    #[getter]
    fn strict(&self) -> bool {
        self.inner.strict()
    }

    /// The configured tolerance in seconds, or None.
    #[getter]
    fn tolerance(&self) -> Option<f64> {
        self.inner.tolerance().map(|t| t.as_secs_f64())
    }

    /// The configured body size limit, in bytes.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes()
    }

    /// Check the signature of the raw body; raises on any failure.
    #[pyo3(signature = (body, signature_or_headers))]
    fn verify(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        signature_or_headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let signature = signature_text(signature_or_headers, core::SIGNATURE_HEADER)?;
        let inner = &self.inner;
        self.with_body(py, body, |bytes| inner.verify(bytes, &signature))
    }

    /// Check the signature, then parse the event.
    #[pyo3(signature = (body, signature_or_headers, *, now = None))]
    fn construct_event(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        signature_or_headers: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let signature = signature_text(signature_or_headers, core::SIGNATURE_HEADER)?;
        let inner = &self.inner;
        let event = match now.filter(|n| !n.is_none()) {
            None => self.with_body(py, body, |bytes| inner.construct_event(bytes, &signature))?,
            Some(now) => {
                let now = now_of(Some(now))?;
                self.with_body(py, body, |bytes| {
                    inner.construct_event_at(bytes, &signature, now)
                })?
            }
        };
        py_event(py, event)
    }

    /// Check a fingerprinting-api signature (static token or HMAC), then parse the visit.
    #[pyo3(signature = (body, signature_or_headers))]
    fn construct_visit(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        signature_or_headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<Visit>> {
        let signature = signature_text(signature_or_headers, core::VISIT_SIGNATURE_HEADER)?;
        let inner = &self.inner;
        let visit = self.with_body(py, body, |bytes| inner.construct_visit(bytes, &signature))?;
        py_visit(py, visit)
    }

    fn __repr__(&self) -> String {
        format!(
            "Webhook(secrets=[REDACTED; {}], tolerance={}, max_body_bytes={}, strict={})",
            self.inner.secret_count(),
            self.inner
                .tolerance()
                .map_or_else(|| "None".to_owned(), |t| format!("{}", t.as_secs_f64())),
            self.inner.max_body_bytes(),
            if self.inner.strict() { "True" } else { "False" }
        )
    }
}

// ---------------------------------------------------------------- BitnobWebhook

/// A Bitnob verifier: the timestamped HMAC-SHA256 scheme and (switchable)
/// the legacy HMAC-SHA512 one, one secret or several (rotation).
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "BitnobWebhook")]
struct PyBitnobWebhook {
    inner: core::BitnobWebhook,
}

impl PyBitnobWebhook {
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        work: impl FnOnce(
            &core::BitnobWebhook,
            &[u8],
            &[(String, String)],
            SystemTime,
        ) -> Result<T, core::Error>
        + Send,
    ) -> PyResult<T> {
        let pairs = header_pairs(headers)?;
        let now = now_of(now)?;
        let bytes = body_bytes(py, body, self.inner.max_body_bytes())?;
        let inner = &self.inner;
        let result = if bytes.len() >= DETACH_AT_BYTES {
            py.detach(|| work(inner, &bytes, &pairs, now))
        } else {
            work(inner, &bytes, &pairs, now)
        };
        result.or_py(py)
    }
}

fn pairs_iter(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

#[pymethods]
impl PyBitnobWebhook {
    /// `BitnobWebhook(secret_or_list, *, tolerance=300, legacy_sha512=True,
    /// max_body_bytes=1048576)`. `tolerance` in seconds or a timedelta;
    /// None switches the replay window off.
    #[new]
    #[pyo3(signature = (secret, **options), text_signature = "(secret, *, tolerance=300.0, legacy_sha512=True, max_body_bytes=1048576)")]
    fn new(
        py: Python<'_>,
        secret: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let secrets = secrets_of(secret)?;
        let mut inner = core::BitnobWebhook::with_secrets(&secrets).or_py(py)?;
        if let Some(options) = options {
            for (name, value) in options.iter() {
                let name: String = name.extract()?;
                match name.as_str() {
                    "tolerance" => {
                        inner = if value.is_none() {
                            inner.without_tolerance()
                        } else {
                            let seconds = seconds_of(&value, "tolerance")?;
                            inner.with_tolerance(Duration::from_secs_f64(seconds))
                        };
                    }
                    "legacy_sha512" => {
                        let on = value.cast::<PyBool>().map_err(|_| {
                            PyTypeError::new_err("legacy_sha512 must be True or False")
                        })?;
                        inner = inner.with_legacy_sha512(on.is_true());
                    }
                    "max_body_bytes" => {
                        let max = value
                            .extract::<i64>()
                            .ok()
                            .filter(|_| !value.is_instance_of::<PyBool>())
                            .and_then(|n| usize::try_from(n).ok())
                            .ok_or_else(|| {
                                PyValueError::new_err(
                                    "max_body_bytes must be a non-negative number of bytes",
                                )
                            })?;
                        inner = inner.with_max_body_bytes(max);
                    }
                    other => {
                        return Err(PyTypeError::new_err(format!(
                            "BitnobWebhook() got an unexpected keyword argument {other:?}"
                        )));
                    }
                }
            }
        }
        Ok(Self { inner })
    }

    /// The replay window in seconds, or None when it is off.
    #[getter]
    fn tolerance(&self) -> Option<f64> {
        self.inner.tolerance().map(|t| t.as_secs_f64())
    }

    /// Whether the legacy HMAC-SHA512 scheme (no timestamp) is accepted.
    #[getter]
    fn legacy_sha512(&self) -> bool {
        self.inner.legacy_sha512()
    }

    /// The configured body size limit, in bytes.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes()
    }

    /// The indexes of the configured secrets whose last 4 characters are
    /// `last4` (Bitnob's dashboard shows `signing_secret_last4`).
    fn secrets_ending_in(&self, last4: &str) -> Vec<usize> {
        self.inner.secrets_ending_in(last4)
    }

    /// Check the signature (and, for a timestamped delivery with the window
    /// on, the timestamp); raises on any failure.
    #[pyo3(signature = (body, headers, *, now = None))]
    fn verify(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.run(py, body, headers, now, |inner, bytes, pairs, now| {
            inner.verify_at(bytes, pairs_iter(pairs), now)
        })
    }

    /// Verify, then read the delivery into a `GenericEvent`: its type from
    /// `X-Bitnob-Event`, or else the body's `event`, and the whole object.
    #[pyo3(signature = (body, headers, *, now = None))]
    fn construct_event(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let event = self.run(py, body, headers, now, |inner, bytes, pairs, now| {
            inner.construct_event_at(bytes, pairs_iter(pairs), now)
        })?;
        py_event(py, event)
    }

    fn __repr__(&self) -> String {
        format!(
            "BitnobWebhook(secrets=[REDACTED; {}], tolerance={}, legacy_sha512={}, max_body_bytes={})",
            self.inner.secret_count(),
            self.inner
                .tolerance()
                .map_or_else(|| "None".to_owned(), |t| format!("{}", t.as_secs_f64())),
            if self.inner.legacy_sha512() {
                "True"
            } else {
                "False"
            },
            self.inner.max_body_bytes(),
        )
    }
}

// ---------------------------------------------------------------- de-duplication

use core::delivery::{self, Claim, Completion, DeliveryStore};

/// A claim as `(outcome, token, retry_after_seconds)`: ("new", token, None),
/// ("duplicate", None, None) or ("in_flight", None, seconds >= 1). The
/// Python `Claim` is built from it.
type ClaimTuple = (&'static str, Option<String>, Option<u64>);

fn claim_tuple(claim: Claim) -> PyResult<ClaimTuple> {
    let retry_after = claim.retry_after_secs();
    match claim {
        Claim::New { token } => Ok(("new", Some(token), None)),
        Claim::Duplicate => Ok(("duplicate", None, None)),
        Claim::InFlight { .. } => Ok(("in_flight", None, retry_after)),
        _ => Err(store_error(&delivery::StoreError::new(
            "an unknown claim outcome",
        ))),
    }
}

fn completion_name(completion: Completion) -> &'static str {
    match completion {
        Completion::Done => "done",
        Completion::LeaseExpired => "lease_expired",
        _ => "not_held",
    }
}

/// `bullseye_webhooks.dedupe.StoreUnavailable(message)`, looked up once.
static STORE_UNAVAILABLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn store_error(error: &delivery::StoreError) -> PyErr {
    Python::attach(|py| {
        let made = STORE_UNAVAILABLE
            .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py
                    .import("bullseye_webhooks._errors")?
                    .getattr("StoreUnavailable")?
                    .unbind())
            })
            .and_then(|class| class.bind(py).call1((error.to_string(),)));
        match made {
            Ok(exception) => PyErr::from_value(exception),
            Err(import_failure) => import_failure,
        }
    })
}

fn duration_of(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    Ok(Duration::from_secs_f64(seconds_of(value, what)?))
}

/// The core's in-process store: bounded (oldest done keys dropped first),
/// every entry with its lease or retention. Right for one process.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "MemoryStore")]
struct PyMemoryStore {
    inner: delivery::MemoryStore,
}

#[pymethods]
impl PyMemoryStore {
    #[new]
    #[pyo3(signature = (capacity = delivery::DEFAULT_MEMORY_CAPACITY))]
    fn new(capacity: usize) -> Self {
        Self {
            inner: delivery::MemoryStore::with_capacity(capacity),
        }
    }

    /// The most keys it holds.
    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Claim `key` for `lease` seconds: `(outcome, token, retry_after)`.
    fn claim(&self, key: &str, lease: &Bound<'_, PyAny>) -> PyResult<ClaimTuple> {
        let lease = duration_of(lease, "lease")?;
        claim_tuple(self.inner.claim(key, lease).map_err(|e| store_error(&e))?)
    }

    /// Mark `key` done for `retention` seconds: "done", "lease_expired" or "not_held".
    fn complete(
        &self,
        key: &str,
        token: &str,
        retention: &Bound<'_, PyAny>,
    ) -> PyResult<&'static str> {
        let retention = duration_of(retention, "retention")?;
        Ok(completion_name(
            self.inner
                .complete(key, token, retention)
                .map_err(|e| store_error(&e))?,
        ))
    }

    /// Delete `token`'s claim of `key`; True when it held it.
    fn release(&self, key: &str, token: &str) -> PyResult<bool> {
        self.inner.release(key, token).map_err(|e| store_error(&e))
    }

    fn __repr__(&self) -> String {
        format!(
            "MemoryStore(capacity={}, len={})",
            self.inner.capacity(),
            self.inner.len()
        )
    }
}

/// A claim token: 128 random bits from the OS, as 32 lowercase hex digits.
#[pyfunction]
fn new_claim_token() -> PyResult<String> {
    delivery::new_claim_token().map_err(|e| store_error(&e))
}

/// The claim script's reply (`REDIS_CLAIM_SCRIPT`) as `(outcome, token, retry_after)`.
#[pyfunction]
fn redis_claim_reply(reply: i64, token: String) -> PyResult<ClaimTuple> {
    claim_tuple(Claim::from_redis_reply(reply, token).map_err(|e| store_error(&e))?)
}

/// The complete script's reply: "done", "lease_expired" or "not_held".
#[pyfunction]
fn redis_complete_reply(reply: i64) -> PyResult<&'static str> {
    Ok(completion_name(
        Completion::from_redis_reply(reply).map_err(|e| store_error(&e))?,
    ))
}

/// `Retry-After` for a claim held `remaining_ms` more milliseconds: whole seconds, at least 1.
#[pyfunction]
fn retry_after_secs(remaining_ms: u64) -> u64 {
    delivery::retry_after_secs(remaining_ms)
}

// ---------------------------------------------------------------- functions

/// Parse a fingerprinting-api visit (no signature check; default size limit).
/// With `strict`, a documented field of another JSON type is `invalid_payload`.
#[pyfunction]
#[pyo3(signature = (body, *, strict = false))]
fn parse_visit(py: Python<'_>, body: &Bound<'_, PyAny>, strict: bool) -> PyResult<Py<Visit>> {
    let bytes = body_bytes(py, body, core::DEFAULT_MAX_BODY_BYTES)?;
    let parse = if strict {
        core::parse_visit_strict
    } else {
        core::parse_visit
    };
    let visit = parse(&bytes).or_py(py)?;
    py_visit(py, visit)
}

/// The X-Bullseye-Signature value for body under secret (lowercase hex HMAC-SHA256).
#[pyfunction]
fn sign(py: Python<'_>, secret: &Bound<'_, PyAny>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    let secret = secret_bytes(secret)?;
    let bytes = body_bytes(py, body, usize::MAX)?;
    Ok(core::sign(&secret, &bytes))
}

/// `generate_secret()`: a new webhook secret, `whsec_` and 32 bytes from the
/// OS's secure random source as unpadded base64url (the core's rule). The
/// OS failing to give random bytes is an `OSError`.
#[pyfunction]
fn generate_secret() -> PyResult<String> {
    core::generate_secret().map_err(|e| PyOSError::new_err(e.to_string()))
}

/// The last 4 characters of `secret` (fewer when it is shorter), as Bitnob's
/// dashboard shows them in `signing_secret_last4`.
#[pyfunction]
fn secret_last4(secret: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(core::secret_last4(secret_bytes(secret)?))
}

/// The X-Bitnob-Signature value for `body` sent with X-Bitnob-Timestamp
/// `timestamp` (Unix seconds, int or str): hex HMAC-SHA256 of
/// `{timestamp}.{body}`. For tests and local senders.
#[pyfunction]
fn sign_bitnob(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let secret = secret_bytes(secret)?;
    let bytes = body_bytes(py, body, usize::MAX)?;
    let timestamp = if timestamp.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(
            "timestamp must be Unix seconds, as int or str",
        ));
    } else if let Ok(text) = timestamp.cast::<PyString>() {
        text.to_cow()?.into_owned()
    } else if let Ok(seconds) = timestamp.extract::<i64>() {
        seconds.to_string()
    } else {
        return Err(PyTypeError::new_err(
            "timestamp must be Unix seconds, as int or str",
        ));
    };
    Ok(core::sign_bitnob(&secret, &timestamp, &bytes))
}

/// The legacy X-Bitnob-Signature value for `body`: hex HMAC-SHA512 of the body alone.
#[pyfunction]
fn sign_bitnob_legacy(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let secret = secret_bytes(secret)?;
    let bytes = body_bytes(py, body, usize::MAX)?;
    Ok(core::sign_bitnob_legacy(&secret, &bytes))
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyWebhook>()?;
    module.add_class::<PyBitnobWebhook>()?;
    module.add_class::<records::VisitorIdentified>()?;
    module.add_class::<PyGenericEvent>()?;
    module.add_class::<records::Visitor>()?;
    module.add_class::<records::Company>()?;
    module.add_class::<records::Session>()?;
    module.add_class::<records::PageView>()?;
    module.add_class::<records::Visit>()?;
    module.add_class::<records::VisitVisitor>()?;
    module.add_class::<records::VisitCompany>()?;
    module.add_class::<PyMismatch>()?;
    module.add_class::<PyMemoryStore>()?;
    module.add_function(wrap_pyfunction!(new_claim_token, module)?)?;
    module.add_function(wrap_pyfunction!(redis_claim_reply, module)?)?;
    module.add_function(wrap_pyfunction!(redis_complete_reply, module)?)?;
    module.add_function(wrap_pyfunction!(retry_after_secs, module)?)?;
    module.add("REDIS_CLAIM_SCRIPT", delivery::REDIS_CLAIM_SCRIPT)?;
    module.add("REDIS_COMPLETE_SCRIPT", delivery::REDIS_COMPLETE_SCRIPT)?;
    module.add("REDIS_RELEASE_SCRIPT", delivery::REDIS_RELEASE_SCRIPT)?;
    module.add("REDIS_KEY_PREFIX", delivery::REDIS_KEY_PREFIX)?;
    module.add("DEFAULT_LEASE", delivery::DEFAULT_LEASE.as_secs_f64())?;
    module.add(
        "DEFAULT_RETENTION",
        delivery::DEFAULT_RETENTION.as_secs_f64(),
    )?;
    module.add(
        "STORE_RETRY_AFTER",
        delivery::STORE_RETRY_AFTER.as_secs_f64(),
    )?;
    module.add("DEFAULT_MEMORY_CAPACITY", delivery::DEFAULT_MEMORY_CAPACITY)?;
    module.add_function(wrap_pyfunction!(parse_visit, module)?)?;
    module.add_function(wrap_pyfunction!(sign, module)?)?;
    module.add_function(wrap_pyfunction!(secret_last4, module)?)?;
    module.add_function(wrap_pyfunction!(generate_secret, module)?)?;
    module.add_function(wrap_pyfunction!(sign_bitnob, module)?)?;
    module.add_function(wrap_pyfunction!(sign_bitnob_legacy, module)?)?;
    module.add("BITNOB_SIGNATURE_HEADER", core::BITNOB_SIGNATURE_HEADER)?;
    module.add("BITNOB_TIMESTAMP_HEADER", core::BITNOB_TIMESTAMP_HEADER)?;
    module.add("BITNOB_EVENT_HEADER", core::BITNOB_EVENT_HEADER)?;
    module.add(
        "DEFAULT_BITNOB_TOLERANCE",
        core::DEFAULT_BITNOB_TOLERANCE.as_secs_f64(),
    )?;
    module.add("SIGNATURE_HEADER", core::SIGNATURE_HEADER)?;
    module.add("VISIT_SIGNATURE_HEADER", core::VISIT_SIGNATURE_HEADER)?;
    module.add("DEFAULT_MAX_BODY_BYTES", core::DEFAULT_MAX_BODY_BYTES)?;
    module.add("MAX_JSON_DEPTH", core::MAX_JSON_DEPTH)?;
    module.add("ERROR_CODES", PyTuple::new(module.py(), core::ERROR_CODES)?)?;
    module.add(
        "ERROR_HTTP_STATUSES",
        PyTuple::new(module.py(), core::ERROR_HTTP_STATUSES)?,
    )?;
    Ok(())
}
