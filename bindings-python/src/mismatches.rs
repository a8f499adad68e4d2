//! `Mismatch`: a documented field sent with another JSON type.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use bullseye_webhooks as core;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

use crate::values::py_json;

/// `bullseye_webhooks._values.value_of(text)`, looked up once: a value as
/// sent, read by Python's `json` so integers beyond 64 bits stay exact.
pub(crate) static VALUE_OF: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A documented field whose value was not of its documented JSON type: the
/// delivery was accepted, the typed view holds the converted value or None.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "Mismatch")]
pub(crate) struct PyMismatch {
    inner: core::Mismatch,
}

/// A function of `bullseye_webhooks._values`, looked up once.
pub(crate) fn values_fn<'py>(
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
pub(crate) static SAME_VALUE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

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
pub(crate) fn py_mismatches<'py>(
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

pub(crate) fn mismatch_count(mismatches: &[core::Mismatch]) -> String {
    match mismatches.len() {
        0 => String::new(),
        n => format!(" mismatches={n}"),
    }
}
