//! The WASM binding of `bullseye-webhooks`: argument conversion and error
//! mapping only. Every rule lives in the core crate.
//!
//! The package's JavaScript (the API it shares with the Node package,
//! `js/` in the repository) checks argument types, turns strings into bytes,
//! wraps errors into `WebhookError` and `JSON.parse`s each answer. The calls
//! themselves are the shared JavaScript glue's (`bullseye-webhooks-js-glue`,
//! which the Node addon calls too, with the same arguments and answers);
//! the `#[wasm_bindgen]` exports only convert types and turn a [`Failure`]
//! into a JavaScript `Error` carrying the code. Nothing here panics: the
//! release build aborts on a panic, and none may reach JavaScript.
//!
//! The package ships two modules, built from this crate by
//! `scripts/build.sh` (the `.wasm` has a size budget, and most receivers
//! never see a Bitnob delivery): the `bullseye` feature (the default) makes
//! the Bullseye verifier's module, the `bitnob` feature alone the Bitnob
//! verifier's, which the package instantiates on its first use.

use bullseye_webhooks_js_glue::{Answer, Failure};
use wasm_bindgen::prelude::*;

#[cfg(feature = "bitnob")]
pub mod bitnob;
#[cfg(feature = "bullseye")]
pub mod bullseye;

/// talc rather than dlmalloc: a smaller `.wasm` (see Cargo.toml).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen]
extern "C" {
    /// JavaScript's `Error`, with the `code` property the wrapper reads.
    #[wasm_bindgen(js_name = Error)]
    type JsFailure;

    #[wasm_bindgen(constructor, js_class = "Error")]
    fn new(message: &str) -> JsFailure;

    #[wasm_bindgen(method, setter = code, js_class = "Error")]
    fn set_code(this: &JsFailure, code: &str);
}

/// A failure as JavaScript receives it: an `Error` whose `code` is one of
/// the core's codes, or `"argument"` for an argument the wrapper should have
/// refused (it becomes a `TypeError`).
fn thrown(failure: Failure) -> JsValue {
    let error = JsFailure::new(&failure.message());
    error.set_code(failure.code());
    error.into()
}

/// A maybe-answer (verify's checks alone answer none) as JavaScript takes it.
#[cfg_attr(not(any(feature = "bullseye", feature = "bitnob")), allow(dead_code))]
fn maybe_answered(answer: Result<Option<Answer>, Failure>) -> Result<Option<String>, JsValue> {
    answer
        .map(|answer| answer.map(|answer| answer.to_json()))
        .map_err(thrown)
}
