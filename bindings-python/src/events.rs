//! Verified Bullseye events: a `visitor.identified` record, or a generic
//! event of any other type.

use bullseye_webhooks as core;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::records::VisitorIdentified;
use crate::values::py_object;

/// A verified event of any other type: its type and the whole object.
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "GenericEvent")]
pub(crate) struct PyGenericEvent {
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
    /// The hex SHA-256 of the body as received, kept with the claim to tell
    /// the same key with a different body apart.
    #[getter]
    fn body_hash(&self) -> String {
        self.event.body_hash()
    }
    fn __repr__(&self) -> String {
        format!("<GenericEvent event_type={:?}>", self.event.event_type)
    }
}

pub(crate) fn py_event(py: Python<'_>, event: core::Event) -> PyResult<Py<PyAny>> {
    match event {
        core::Event::VisitorIdentified(event) => {
            Ok(Py::new(py, VisitorIdentified::new(py, event)?)?.into_any())
        }
        core::Event::Other(event) => Ok(Py::new(py, PyGenericEvent { event })?.into_any()),
        // `Event` is non-exhaustive: a new kind reaches Python generically.
        other => Err(PyTypeError::new_err(format!(
            "unsupported event kind {:?}",
            other.event_type()
        ))),
    }
}
