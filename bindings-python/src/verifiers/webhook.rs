//! `Webhook`: the Bullseye verifier.

use std::time::Duration;

use bullseye_webhooks as core;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::args::{DETACH_AT_BYTES, body_bytes, now_of, seconds_of, secrets_of, signature_text};
use crate::errors::OrPyError;
use crate::events::py_event;
use crate::records::Visit;
use crate::visits::py_visit;

/// A verifier holding one secret or several (rotation).
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "Webhook")]
pub(crate) struct PyWebhook {
    pub(crate) inner: core::Webhook,
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
