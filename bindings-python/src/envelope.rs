//! The queue envelope: `Envelope`, `make_envelope` and `open_envelope`
//! over the core's (argument conversion and error mapping only).

use bullseye_webhooks as core;
use core::{EnvelopeError, EnvelopeScheme, OpenError};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::{header_pairs, now_of, type_name};
use crate::errors::{OrPyError, py_error};
use crate::events::py_event;
use crate::verifiers::bitnob::{PyBitnobWebhook, pairs_iter};
use crate::verifiers::webhook::PyWebhook;
use crate::visits::py_visit;

/// `bullseye_webhooks._errors.InvalidEnvelope`, looked up once.
static INVALID_ENVELOPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn envelope_error(py: Python<'_>, error: &EnvelopeError) -> PyErr {
    let made = INVALID_ENVELOPE
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("bullseye_webhooks._errors")?
                .getattr("InvalidEnvelope")?
                .unbind())
        })
        .and_then(|class| class.bind(py).call1((error.to_string(),)));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failure) => import_failure,
    }
}

fn open_error(py: Python<'_>, error: &OpenError) -> PyErr {
    match error {
        OpenError::Envelope(error) => envelope_error(py, error),
        OpenError::Webhook(error) => py_error(py, error),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// A verified delivery as a queue carries it (see the core's `Envelope`).
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "Envelope")]
pub(crate) struct PyEnvelope {
    inner: core::Envelope,
}

#[pymethods]
impl PyEnvelope {
    /// Read an envelope's JSON (`str` or `bytes`), refusing one longer than
    /// an envelope of a `max_body_bytes` body can be. Raises `InvalidEnvelope`.
    #[staticmethod]
    #[pyo3(signature = (data, *, max_body_bytes = core::DEFAULT_MAX_BODY_BYTES))]
    fn from_json(py: Python<'_>, data: &Bound<'_, PyAny>, max_body_bytes: usize) -> PyResult<Self> {
        let parsed = if let Ok(bytes) = data.cast::<PyBytes>() {
            core::Envelope::from_json(bytes.as_bytes(), max_body_bytes)
        } else if let Ok(text) = data.cast::<PyString>() {
            core::Envelope::from_json(text.to_cow()?.as_bytes(), max_body_bytes)
        } else {
            return Err(PyTypeError::new_err(format!(
                "an envelope's JSON must be str or bytes, not {}",
                type_name(data)
            )));
        };
        parsed
            .map(|inner| Self { inner })
            .map_err(|e| envelope_error(py, &e))
    }

    /// The one JSON form (the same envelope always gives the same text).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// "bullseye_event", "visit" or "bitnob".
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme().as_str()
    }

    /// The delivery key the receiver claimed.
    #[getter]
    fn key(&self) -> &str {
        self.inner.key()
    }

    /// When the receiver got the delivery, in milliseconds since the Unix epoch.
    #[getter]
    fn received_at_ms(&self) -> u64 {
        self.inner.received_at_ms()
    }

    /// The kept headers, lower-case names (a new dict on each call).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.inner.headers() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    /// The raw body, exactly as received.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.body().as_bytes())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyEnvelope>()
            .is_ok_and(|other| other.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        // Never the body (personal data) nor a header's value.
        format!(
            "Envelope(scheme={:?}, key={:?}, received_at_ms={}, body_bytes={})",
            self.inner.scheme().as_str(),
            self.inner.key(),
            self.inner.received_at_ms(),
            self.inner.body().len()
        )
    }
}

/// `received_at` (a datetime or Unix seconds; None: now) to the nearest
/// millisecond, the envelope's unit (a float's seconds are seldom exact).
fn received_at_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<SystemTime> {
    let at = now_of(value)?;
    if value.is_none_or(|v| v.is_none()) {
        return Ok(at);
    }
    let since = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| PyValueError::new_err("received_at must not be before 1970"))?;
    let ms = (since.as_secs_f64() * 1000.0).round();
    Ok(UNIX_EPOCH + Duration::from_millis(ms as u64))
}

fn body_of(py: Python<'_>, body: &Bound<'_, PyAny>, max: usize) -> PyResult<Vec<u8>> {
    Ok(crate::args::body_bytes(py, body, max)?.into_owned())
}

/// Verify a delivery with `verifier` (a `Webhook` or a `BitnobWebhook`) and
/// make its envelope. `scheme`: "bullseye_event" (a `Webhook`'s default),
/// "visit" (a `Webhook`'s visit) or "bitnob" (a `BitnobWebhook`'s).
/// `received_at`: a datetime or Unix seconds, default now; any tolerance is
/// counted from it.
#[pyfunction]
#[pyo3(signature = (verifier, body, headers, *, scheme = None, received_at = None))]
pub(crate) fn make_envelope(
    py: Python<'_>,
    verifier: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    headers: Option<&Bound<'_, PyAny>>,
    scheme: Option<&str>,
    received_at: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyEnvelope> {
    let pairs = header_pairs(headers)?;
    let at = received_at_of(received_at)?;
    let scheme = match scheme {
        None => None,
        Some(name) => Some(EnvelopeScheme::from_name(name).ok_or_else(|| {
            PyValueError::new_err("scheme must be \"bullseye_event\", \"visit\" or \"bitnob\"")
        })?),
    };
    let inner = if let Ok(webhook) = verifier.cast::<PyWebhook>() {
        let webhook = &webhook.get().inner;
        let bytes = body_of(py, body, webhook.max_body_bytes())?;
        match scheme.unwrap_or(EnvelopeScheme::BullseyeEvent) {
            EnvelopeScheme::BullseyeEvent => webhook.make_envelope(&bytes, pairs_iter(&pairs), at),
            EnvelopeScheme::Visit => webhook.make_visit_envelope(&bytes, pairs_iter(&pairs), at),
            _ => {
                return Err(PyValueError::new_err(
                    "a Webhook makes bullseye_event or visit envelopes",
                ));
            }
        }
    } else if let Ok(bitnob) = verifier.cast::<PyBitnobWebhook>() {
        let bitnob = &bitnob.get().inner;
        if scheme.is_some_and(|s| s != EnvelopeScheme::Bitnob) {
            return Err(PyValueError::new_err(
                "a BitnobWebhook makes bitnob envelopes",
            ));
        }
        let bytes = body_of(py, body, bitnob.max_body_bytes())?;
        bitnob.make_envelope(&bytes, pairs_iter(&pairs), at)
    } else {
        return Err(PyTypeError::new_err(format!(
            "verifier must be a Webhook or a BitnobWebhook, not {}",
            type_name(verifier)
        )));
    };
    inner.map(|inner| PyEnvelope { inner }).or_py(py)
}

/// Verify an envelope's delivery again with `verifier`, any tolerance
/// counted from its received-at time, and check its key: the event (or,
/// for a "visit" envelope, the visit). `envelope` is an `Envelope` or its
/// JSON (read with the verifier's body limit). Raises `InvalidEnvelope` or
/// the delivery's `WebhookError`.
#[pyfunction]
pub(crate) fn open_envelope(
    py: Python<'_>,
    verifier: &Bound<'_, PyAny>,
    envelope: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let (max, webhook, bitnob) = if let Ok(webhook) = verifier.cast::<PyWebhook>() {
        (webhook.get().inner.max_body_bytes(), Some(webhook), None)
    } else if let Ok(bitnob) = verifier.cast::<PyBitnobWebhook>() {
        (bitnob.get().inner.max_body_bytes(), None, Some(bitnob))
    } else {
        return Err(PyTypeError::new_err(format!(
            "verifier must be a Webhook or a BitnobWebhook, not {}",
            type_name(verifier)
        )));
    };
    let read;
    let envelope = match envelope.cast::<PyEnvelope>() {
        Ok(given) => &given.get().inner,
        Err(_) => {
            read = PyEnvelope::from_json(py, envelope, max)?;
            &read.inner
        }
    };
    match (webhook, bitnob) {
        (Some(webhook), _) if envelope.scheme() == EnvelopeScheme::Visit => {
            let visit = webhook
                .get()
                .inner
                .open_visit_envelope(envelope)
                .map_err(|e| open_error(py, &e))?;
            Ok(py_visit(py, visit)?.into_any())
        }
        (Some(webhook), _) => {
            let event = webhook
                .get()
                .inner
                .open_envelope(envelope)
                .map_err(|e| open_error(py, &e))?;
            py_event(py, event)
        }
        (_, Some(bitnob)) => {
            let event = bitnob
                .get()
                .inner
                .open_envelope(envelope)
                .map_err(|e| open_error(py, &e))?;
            py_event(py, event)
        }
        _ => Err(PyTypeError::new_err(
            "verifier must be a Webhook or a BitnobWebhook",
        )),
    }
}

/// The envelope's class and functions, and the queue's layout and scripts.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    use core::queue;
    module.add_class::<PyEnvelope>()?;
    module.add_function(wrap_pyfunction!(make_envelope, module)?)?;
    module.add_function(wrap_pyfunction!(open_envelope, module)?)?;
    module.add_function(wrap_pyfunction!(retry_delay_ms, module)?)?;
    module.add("ENVELOPE_VERSION", core::ENVELOPE_VERSION)?;
    module.add("DEFAULT_QUEUE_STREAM", queue::DEFAULT_QUEUE_STREAM)?;
    module.add("DEFAULT_QUEUE_GROUP", queue::DEFAULT_QUEUE_GROUP)?;
    module.add("RETRY_SET_SUFFIX", queue::RETRY_SET_SUFFIX)?;
    module.add("DEAD_LETTER_SUFFIX", queue::DEAD_LETTER_SUFFIX)?;
    module.add("DEFAULT_QUEUE_LEASE_MS", queue::DEFAULT_QUEUE_LEASE_MS)?;
    module.add("DEFAULT_MAX_ATTEMPTS", queue::DEFAULT_MAX_ATTEMPTS)?;
    module.add("DEFAULT_RETRY_DELAY_MS", queue::DEFAULT_RETRY_DELAY_MS)?;
    module.add(
        "DEFAULT_MAX_RETRY_DELAY_MS",
        queue::DEFAULT_MAX_RETRY_DELAY_MS,
    )?;
    module.add("DEFAULT_CLAIM_IDLE_MS", queue::DEFAULT_CLAIM_IDLE_MS)?;
    module.add("QUEUE_FAIL_SCRIPT", queue::QUEUE_FAIL_SCRIPT)?;
    module.add("QUEUE_PROMOTE_SCRIPT", queue::QUEUE_PROMOTE_SCRIPT)?;
    module.add("QUEUE_ACK_SCRIPT", queue::QUEUE_ACK_SCRIPT)?;
    module.add("QUEUE_RUN_KEY_PREFIX", queue::QUEUE_RUN_KEY_PREFIX)?;
    Ok(())
}

/// The delay before the next attempt after attempt `attempt` (from 1)
/// failed, in milliseconds: `first_ms` doubled per attempt, at most `max_ms`.
#[pyfunction]
pub(crate) fn retry_delay_ms(attempt: u32, first_ms: u64, max_ms: u64) -> u64 {
    core::queue::retry_delay_ms(attempt, first_ms, max_ms)
}
