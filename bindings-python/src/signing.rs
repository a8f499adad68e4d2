//! Signing for tests and local senders, and new secrets.

use bullseye_webhooks as core;
use pyo3::exceptions::{PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};

use crate::args::{body_bytes, secret_bytes};

/// The X-Bullseye-Signature value for body under secret (lowercase hex HMAC-SHA256).
#[pyfunction]
pub(crate) fn sign(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let secret = secret_bytes(secret)?;
    let bytes = body_bytes(py, body, usize::MAX)?;
    Ok(core::sign(&secret, &bytes))
}

/// `generate_secret()`: a new webhook secret, `whsec_` and 32 bytes from the
/// OS's secure random source as unpadded base64url (the core's rule). The
/// OS failing to give random bytes is an `OSError`.
#[pyfunction]
pub(crate) fn generate_secret() -> PyResult<String> {
    core::generate_secret().map_err(|e| PyOSError::new_err(e.to_string()))
}

/// The last 4 characters of `secret` (fewer when it is shorter), as Bitnob's
/// dashboard shows them in `signing_secret_last4`.
#[pyfunction]
pub(crate) fn secret_last4(secret: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(core::secret_last4(secret_bytes(secret)?))
}

/// The X-Bitnob-Signature value for `body` sent with X-Bitnob-Timestamp
/// `timestamp` (Unix seconds, int or str): hex HMAC-SHA256 of
/// `{timestamp}.{body}`. For tests and local senders.
#[pyfunction]
pub(crate) fn sign_bitnob(
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
pub(crate) fn sign_bitnob_legacy(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let secret = secret_bytes(secret)?;
    let bytes = body_bytes(py, body, usize::MAX)?;
    Ok(core::sign_bitnob_legacy(&secret, &bytes))
}
