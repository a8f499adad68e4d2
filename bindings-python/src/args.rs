//! Arguments from Python: bodies, signatures, headers, secrets, durations
//! and clocks.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks as core;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::errors::py_error;

/// Bodies at least this long are hashed with the GIL released: below it,
/// releasing and re-taking the GIL costs more than it frees.
pub(crate) const DETACH_AT_BYTES: usize = 64 * 1024;

/// The raw body as bytes. `bytes` is borrowed, `str` is its UTF-8, other
/// buffers are copied after their size is checked against `max`, so a huge
/// `memoryview` is refused without a copy.
pub(crate) fn body_bytes<'a>(
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

pub(crate) fn too_large(py: Python<'_>, limit: usize, actual: usize) -> PyErr {
    py_error(py, &core::Error::BodyTooLarge { limit, actual })
}

pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "an unknown type".to_owned())
}

/// The signature from a header value or a headers mapping. `None` and an
/// absent header both read as "" (the core's `missing_signature`).
pub(crate) fn signature_text(value: Option<&Bound<'_, PyAny>>, header: &str) -> PyResult<String> {
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
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut keep = |key: &Bound<'_, PyAny>, val: &Bound<'_, PyAny>| {
        if may_name(key, header)
            && let (Ok(key), Ok(val)) = (header_text(key), header_text(val))
        {
            pairs.push((key, val));
        }
    };
    // A plain dict is walked in place (no items view, no tuple per
    // header); a subclass may override items(), so it goes the long way.
    if let Ok(dict) = value.cast_exact::<PyDict>() {
        for (key, val) in dict.iter() {
            keep(&key, &val);
        }
    } else if value.hasattr("items")? {
        for item in value.call_method0("items")?.try_iter()? {
            let item = item?;
            let (key, val): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            keep(&key, &val);
        }
    } else {
        return Err(PyTypeError::new_err(format!(
            "signature_or_headers must be the {header} header's value (str) or a headers mapping, not {}",
            type_name(value)
        )));
    }
    let found = core::find_header(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), header);
    Ok(found.map(Cow::into_owned).unwrap_or_default())
}

/// Whether `key` may name `header`: the core matches a name trimmed of
/// ASCII whitespace, ignoring ASCII case, so a shorter key never does and
/// its value need not be converted. The core still decides the match.
fn may_name(key: &Bound<'_, PyAny>, header: &str) -> bool {
    if let Ok(text) = key.cast::<PyString>() {
        return text.len().is_ok_and(|chars| chars >= header.len());
    }
    key.cast::<PyBytes>()
        .is_ok_and(|bytes| bytes.as_bytes().len() >= header.len())
}

pub(crate) fn header_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(String::from_utf8_lossy(bytes.as_bytes()).into_owned());
    }
    Ok(value.cast::<PyString>()?.to_cow()?.into_owned())
}

/// A request's headers as (name, value) pairs: a mapping (dict, Starlette,
/// Flask or Django headers: anything with `items()`) or a sequence of
/// (name, value) pairs; None is no header. Names and values that are
/// neither `str` nor `bytes` are skipped.
pub(crate) fn header_pairs(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
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
pub(crate) fn secret_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
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

pub(crate) fn secrets_of(value: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
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
pub(crate) fn seconds_of(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
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
pub(crate) fn now_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<SystemTime> {
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
