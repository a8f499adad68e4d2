//! `BitnobWebhook`: the Bitnob verifier.

use std::time::{Duration, SystemTime};

use bullseye_webhooks as core;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict};

use crate::args::{DETACH_AT_BYTES, body_bytes, header_pairs, now_of, seconds_of, secrets_of};
use crate::errors::OrPyError;
use crate::events::py_event;

/// A Bitnob verifier: the timestamped HMAC-SHA256 scheme and (switchable)
/// the legacy HMAC-SHA512 one, one secret or several (rotation).
#[pyclass(frozen, module = "bullseye_webhooks._native", name = "BitnobWebhook")]
pub(crate) struct PyBitnobWebhook {
    pub(crate) inner: core::BitnobWebhook,
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

pub(crate) fn pairs_iter(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
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
