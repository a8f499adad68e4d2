//! fingerprinting-api visits.

use bullseye_webhooks as core;
use pyo3::prelude::*;

use crate::args::body_bytes;
use crate::errors::OrPyError;
use crate::records::Visit;

pub(crate) fn py_visit(py: Python<'_>, visit: core::Visit) -> PyResult<Py<Visit>> {
    Py::new(py, Visit::new(py, visit)?)
}

/// Parse a fingerprinting-api visit (no signature check; default size limit).
/// With `strict`, a documented field of another JSON type is `invalid_payload`.
#[pyfunction]
#[pyo3(signature = (body, *, strict = false))]
pub(crate) fn parse_visit(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    strict: bool,
) -> PyResult<Py<Visit>> {
    let bytes = body_bytes(py, body, core::DEFAULT_MAX_BODY_BYTES)?;
    let parse = if strict {
        core::parse_visit_strict
    } else {
        core::parse_visit
    };
    let visit = parse(&bytes).or_py(py)?;
    py_visit(py, visit)
}
