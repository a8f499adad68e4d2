//! JSON values as fresh Python objects.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use serde_json::Value;

/// A JSON value as a fresh Python object (so callers can't mutate an event).
pub(crate) fn py_json(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
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

pub(crate) fn py_object<'py>(
    py: Python<'py>,
    map: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, py_json(py, value)?)?;
    }
    Ok(dict)
}

pub(crate) fn opt_str(py: Python<'_>, value: Option<&str>) -> Py<PyAny> {
    value.map_or_else(|| py.None(), |s| PyString::new(py, s).into_any().unbind())
}

pub(crate) fn opt_clone<T>(py: Python<'_>, value: &Option<Py<T>>) -> Py<PyAny> {
    value
        .as_ref()
        .map_or_else(|| py.None(), |v| v.clone_ref(py).into_any())
}
