//! Core errors as the package's exception classes.

use bullseye_webhooks as core;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// `bullseye_webhooks._errors.error_for(code, message)`, looked up once.
pub(crate) static ERROR_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: the pure-Python class of its code
/// (`SignatureVerificationError`, `PayloadError` or `WebhookError`), `.code` set.
pub(crate) fn py_error(py: Python<'_>, error: &core::Error) -> PyErr {
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

pub(crate) trait OrPyError<T> {
    fn or_py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrPyError<T> for Result<T, core::Error> {
    fn or_py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| py_error(py, &e))
    }
}
