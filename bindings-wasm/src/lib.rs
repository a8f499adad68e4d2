//! The WASM binding of `bullseye-webhooks`: argument conversion and error
//! mapping only. Every rule lives in the core crate.
//!
//! The package's JavaScript (the API it shares with the Node package,
//! `js/` in the repository) checks argument types, turns strings into bytes,
//! wraps errors into `WebhookError` and `JSON.parse`s each answer. The calls
//! themselves are the shared JavaScript glue's (`bullseye-webhooks-js-glue`,
//! which the Node addon calls too, with the same arguments and answers);
//! the `#[wasm_bindgen]` exports below only convert types and turn a
//! [`Failure`] into a JavaScript `Error` carrying the code. Nothing here
//! panics: the release build aborts on a panic, and none may reach JavaScript.

use bullseye_webhooks_js_glue::{self as glue, Answer, Failure};
use wasm_bindgen::prelude::*;

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

    /// A `Webhook`'s options as the JavaScript entry passes them (checked
    /// there): `{ tolerance, maxBodyBytes, strict }`.
    pub type WebhookOptions;

    #[wasm_bindgen(method, getter)]
    fn tolerance(this: &WebhookOptions) -> Option<f64>;

    #[wasm_bindgen(method, getter = maxBodyBytes)]
    fn max_body_bytes(this: &WebhookOptions) -> Option<f64>;

    #[wasm_bindgen(method, getter)]
    fn strict(this: &WebhookOptions) -> bool;

    /// A `BitnobWebhook`'s options as the JavaScript entry passes them
    /// (checked there): `{ tolerance, legacySha512, maxBodyBytes }`.
    pub type BitnobOptions;

    #[wasm_bindgen(method, getter = tolerance)]
    fn window(this: &BitnobOptions) -> Option<f64>;

    #[wasm_bindgen(method, getter = legacySha512)]
    fn legacy_sha512(this: &BitnobOptions) -> bool;

    #[wasm_bindgen(method, getter = maxBodyBytes)]
    fn body_limit(this: &BitnobOptions) -> Option<f64>;
}

/// A failure as JavaScript receives it: an `Error` whose `code` is one of
/// the core's codes, or `"argument"` for an argument the wrapper should have
/// refused (it becomes a `TypeError`).
fn thrown(failure: Failure) -> JsValue {
    let error = JsFailure::new(&failure.message());
    error.set_code(failure.code());
    error.into()
}

/// An answer as JavaScript takes it: the glue's JSON text.
fn answered(answer: Result<Answer<'_>, Failure>) -> Result<String, JsValue> {
    answer.map(|answer| answer.to_json()).map_err(thrown)
}

/// A maybe-answer (verify's checks alone answer none) as JavaScript takes it.
fn maybe_answered(answer: Result<Option<Answer<'_>>, Failure>) -> Result<Option<String>, JsValue> {
    answer
        .map(|answer| answer.map(|answer| answer.to_json()))
        .map_err(thrown)
}

/// The core's error codes, in the order the checks run.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    bullseye_webhooks::ERROR_CODES
        .iter()
        .map(|code| (*code).to_owned())
        .collect()
}

/// The HTTP status the core assigns to each error code, in [`error_codes`] order.
#[wasm_bindgen(js_name = errorStatuses)]
pub fn error_statuses() -> Vec<u16> {
    bullseye_webhooks::ERROR_HTTP_STATUSES.to_vec()
}

/// The header Bullseye signs with.
#[wasm_bindgen(js_name = signatureHeader)]
pub fn signature_header() -> String {
    bullseye_webhooks::SIGNATURE_HEADER.to_owned()
}

/// The header fingerprinting-api visits carry their token or HMAC in.
#[wasm_bindgen(js_name = visitSignatureHeader)]
pub fn visit_signature_header() -> String {
    bullseye_webhooks::VISIT_SIGNATURE_HEADER.to_owned()
}

/// The default body size limit, in bytes.
#[wasm_bindgen(js_name = defaultMaxBodyBytes)]
pub fn default_max_body_bytes() -> f64 {
    glue::to_f64(bullseye_webhooks::DEFAULT_MAX_BODY_BYTES)
}

/// The value of header `name` among flattened `[key, value, key, value, ...]`
/// pairs, by the core's rule (case-insensitive, repeats joined with ", ").
#[wasm_bindgen(js_name = findHeader)]
pub fn find_header(flat: Vec<String>, name: &str) -> Option<String> {
    glue::find_header(&flat, name)
}

/// The lowercase hex HMAC-SHA256 of `body` under `secret`.
#[wasm_bindgen]
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    bullseye_webhooks::sign(secret, body)
}

/// The `X-Bitnob-Signature` value for `body` sent with `X-Bitnob-Timestamp:
/// {timestamp}`: hex HMAC-SHA256 over `{timestamp}.{body}`.
#[wasm_bindgen(js_name = signBitnob)]
pub fn sign_bitnob(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    bullseye_webhooks::sign_bitnob(secret, timestamp, body)
}

/// The legacy `X-Bitnob-Signature` value: hex HMAC-SHA512 of the body.
#[wasm_bindgen(js_name = signBitnobLegacy)]
pub fn sign_bitnob_legacy(secret: &[u8], body: &[u8]) -> String {
    bullseye_webhooks::sign_bitnob_legacy(secret, body)
}

/// The last 4 characters of a secret, as Bitnob's `signing_secret_last4`.
#[wasm_bindgen(js_name = secretLast4)]
pub fn secret_last4(secret: &[u8]) -> String {
    bullseye_webhooks::secret_last4(secret)
}

/// Check a fingerprinting-api visit (no signature check), refusing its
/// first mismatch when `strict` (the glue's [`Answer`], as JSON text).
#[wasm_bindgen(js_name = parseVisit)]
pub fn parse_visit(body: &[u8], strict: bool) -> Result<String, JsValue> {
    answered(glue::parse_visit(body, strict))
}

/// The verifier behind the JavaScript `Webhook` class.
#[wasm_bindgen]
pub struct WasmWebhook {
    inner: glue::Verifier,
}

#[wasm_bindgen]
impl WasmWebhook {
    /// Build a verifier from the secrets end to end (this module's copy,
    /// wiped before returning), their lengths and the options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        mut secrets: Vec<u8>,
        lengths: Vec<u32>,
        options: &WebhookOptions,
    ) -> Result<WasmWebhook, JsValue> {
        let options = glue::WebhookOptions {
            tolerance: options.tolerance(),
            max_body_bytes: options.max_body_bytes(),
            strict: options.strict(),
        };
        let inner = glue::Verifier::new(&mut secrets, &lengths, &options).map_err(thrown)?;
        Ok(Self { inner })
    }

    /// The settings as the core holds them, as JSON text: `{"maxBodyBytes",
    /// "tolerance" (seconds or null), "strict"}`.
    pub fn settings(&self) -> String {
        self.inner.settings_json()
    }

    /// Check an `X-Bullseye-Signature` value over the raw body.
    pub fn verify(&self, body: &[u8], signature: &str) -> Result<(), JsValue> {
        self.inner.verify(body, signature).map_err(thrown)
    }

    /// Verify, then check the event (the glue's [`Answer`], as JSON text). `now_ms`
    /// (milliseconds since the Unix epoch, JavaScript's `Date.now()`) is the
    /// clock: `wasm32-unknown-unknown` has none of its own.
    #[wasm_bindgen(js_name = constructEvent)]
    pub fn construct_event(
        &self,
        body: &[u8],
        signature: &str,
        now_ms: f64,
    ) -> Result<String, JsValue> {
        answered(self.inner.construct_event(body, signature, now_ms))
    }

    /// The async path, the MACs computed by Web Crypto (see
    /// [`glue::Verifier::check_macs`]): with `macs` empty, the checks before
    /// hashing; with them, verify's compare and, with `event`, the rest of
    /// constructEvent's checks and its answer.
    #[wasm_bindgen(js_name = checkMacs)]
    pub fn check_macs(
        &self,
        body: &[u8],
        length: f64,
        signature: &str,
        macs: &[u8],
        now_ms: f64,
        event: bool,
    ) -> Result<Option<String>, JsValue> {
        maybe_answered(
            self.inner
                .check_macs(body, length, signature, macs, now_ms, event),
        )
    }

    /// Check a visit's token or HMAC, then the visit (the glue's [`Answer`], as JSON text).
    #[wasm_bindgen(js_name = constructVisit)]
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<String, JsValue> {
        answered(self.inner.construct_visit(body, signature))
    }
}

/// The verifier behind the JavaScript `BitnobWebhook` class.
#[wasm_bindgen]
pub struct WasmBitnobWebhook {
    inner: glue::Bitnob,
}

#[wasm_bindgen]
impl WasmBitnobWebhook {
    /// Build a verifier from the secrets end to end (this module's copy,
    /// wiped before returning), their lengths and the options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        mut secrets: Vec<u8>,
        lengths: Vec<u32>,
        options: &BitnobOptions,
    ) -> Result<WasmBitnobWebhook, JsValue> {
        let options = glue::BitnobOptions {
            tolerance: options.window(),
            legacy_sha512: options.legacy_sha512(),
            max_body_bytes: options.body_limit(),
        };
        let inner = glue::Bitnob::new(&mut secrets, &lengths, &options).map_err(thrown)?;
        Ok(Self { inner })
    }

    /// The settings as the core holds them, as JSON text: `{"maxBodyBytes",
    /// "tolerance" (seconds or null), "legacySha512"}`.
    pub fn settings(&self) -> String {
        self.inner.settings_json()
    }

    /// The indexes of the configured secrets whose last 4 characters are `last4`.
    #[wasm_bindgen(js_name = secretsEndingIn)]
    pub fn secrets_ending_in(&self, last4: &str) -> Vec<u32> {
        self.inner.secrets_ending_in(last4)
    }

    /// Check a delivery (see [`glue::Bitnob::check`]).
    pub fn check(
        &self,
        body: &[u8],
        headers: Vec<String>,
        now_ms: f64,
        event: bool,
    ) -> Result<Option<String>, JsValue> {
        maybe_answered(self.inner.check(body, &headers, now_ms, event))
    }
}
