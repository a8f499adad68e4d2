//! The Python binding: converts arguments, maps errors, adds types. Every
//! rule lives in the core crate. Module set-up only; each concern is in
//! its own module.

use bullseye_webhooks as core;
use core::delivery;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

// errors and args: exceptions and argument conversion; values: JSON as
// Python objects; records: the classes built from the core's schema;
// mismatches, events, visits; verifiers: Webhook and BitnobWebhook;
// dedupe: the memory store and claim helpers; envelope: the queue
// envelope and the Redis Streams hand-off's constants; signing: for senders.
mod args;
mod dedupe;
mod envelope;
mod errors;
mod events;
mod mismatches;
mod records;
mod signing;
mod values;
mod verifiers;
mod visits;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<verifiers::webhook::PyWebhook>()?;
    module.add_class::<verifiers::bitnob::PyBitnobWebhook>()?;
    module.add_class::<records::VisitorIdentified>()?;
    module.add_class::<events::PyGenericEvent>()?;
    module.add_class::<records::Visitor>()?;
    module.add_class::<records::Company>()?;
    module.add_class::<records::Session>()?;
    module.add_class::<records::PageView>()?;
    module.add_class::<records::Visit>()?;
    module.add_class::<records::VisitVisitor>()?;
    module.add_class::<records::VisitCompany>()?;
    module.add_class::<mismatches::PyMismatch>()?;
    module.add_class::<dedupe::PyMemoryStore>()?;
    envelope::register(module)?;
    module.add_class::<dedupe::PyRecentlyDone>()?;
    module.add_function(wrap_pyfunction!(dedupe::new_claim_token, module)?)?;
    module.add_function(wrap_pyfunction!(dedupe::redis_claim_reply, module)?)?;
    module.add_function(wrap_pyfunction!(dedupe::redis_complete_reply, module)?)?;
    module.add_function(wrap_pyfunction!(dedupe::retry_after_secs, module)?)?;
    module.add_function(wrap_pyfunction!(dedupe::body_hash, module)?)?;
    module.add_function(wrap_pyfunction!(dedupe::conflict_key, module)?)?;
    module.add("REDIS_CLAIM_SCRIPT", delivery::REDIS_CLAIM_SCRIPT)?;
    module.add("REDIS_COMPLETE_SCRIPT", delivery::REDIS_COMPLETE_SCRIPT)?;
    module.add("REDIS_RELEASE_SCRIPT", delivery::REDIS_RELEASE_SCRIPT)?;
    module.add("REDIS_KEY_PREFIX", delivery::REDIS_KEY_PREFIX)?;
    module.add("DEFAULT_LEASE", delivery::DEFAULT_LEASE.as_secs_f64())?;
    module.add(
        "DEFAULT_RETENTION",
        delivery::DEFAULT_RETENTION.as_secs_f64(),
    )?;
    module.add(
        "STORE_RETRY_AFTER",
        delivery::STORE_RETRY_AFTER.as_secs_f64(),
    )?;
    module.add("DEFAULT_MEMORY_CAPACITY", delivery::DEFAULT_MEMORY_CAPACITY)?;
    module.add("DEFAULT_CACHE_CAPACITY", delivery::DEFAULT_CACHE_CAPACITY)?;
    module.add_function(wrap_pyfunction!(visits::parse_visit, module)?)?;
    module.add_function(wrap_pyfunction!(signing::sign, module)?)?;
    module.add_function(wrap_pyfunction!(signing::secret_last4, module)?)?;
    module.add_function(wrap_pyfunction!(signing::generate_secret, module)?)?;
    module.add_function(wrap_pyfunction!(signing::sign_bitnob, module)?)?;
    module.add_function(wrap_pyfunction!(signing::sign_bitnob_legacy, module)?)?;
    module.add("BITNOB_SIGNATURE_HEADER", core::BITNOB_SIGNATURE_HEADER)?;
    module.add("BITNOB_TIMESTAMP_HEADER", core::BITNOB_TIMESTAMP_HEADER)?;
    module.add("BITNOB_EVENT_HEADER", core::BITNOB_EVENT_HEADER)?;
    module.add(
        "DEFAULT_BITNOB_TOLERANCE",
        core::DEFAULT_BITNOB_TOLERANCE.as_secs_f64(),
    )?;
    module.add("SIGNATURE_HEADER", core::SIGNATURE_HEADER)?;
    module.add("VISIT_SIGNATURE_HEADER", core::VISIT_SIGNATURE_HEADER)?;
    module.add("DEFAULT_MAX_BODY_BYTES", core::DEFAULT_MAX_BODY_BYTES)?;
    module.add("MAX_JSON_DEPTH", core::MAX_JSON_DEPTH)?;
    module.add("ERROR_CODES", PyTuple::new(module.py(), core::ERROR_CODES)?)?;
    module.add(
        "ERROR_HTTP_STATUSES",
        PyTuple::new(module.py(), core::ERROR_HTTP_STATUSES)?,
    )?;
    Ok(())
}
