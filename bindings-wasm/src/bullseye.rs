//! The Bullseye verifier's module (the `bullseye` feature): `Webhook`,
//! visits, signing, the core's codes.

use bullseye_webhooks_js_glue::{self as glue, Answer, Failure};
use wasm_bindgen::prelude::*;

use crate::{maybe_answered, thrown};

#[wasm_bindgen]
extern "C" {
    /// A `Webhook`'s options as the JavaScript entry passes them (checked
    /// there): `{ tolerance, maxBodyBytes, strict }`.
    pub type WebhookOptions;

    #[wasm_bindgen(method, getter)]
    fn tolerance(this: &WebhookOptions) -> Option<f64>;

    #[wasm_bindgen(method, getter = maxBodyBytes)]
    fn max_body_bytes(this: &WebhookOptions) -> Option<f64>;

    #[wasm_bindgen(method, getter)]
    fn strict(this: &WebhookOptions) -> bool;
}

/// An answer as JavaScript takes it: the glue's JSON text.
fn answered(answer: Result<Answer, Failure>) -> Result<String, JsValue> {
    answer.map(|answer| answer.to_json()).map_err(thrown)
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
        // Owned, not borrowed: the glue wipes this copy in the module's memory.
        mut macs: Vec<u8>,
        now_ms: f64,
        event: bool,
    ) -> Result<Option<String>, JsValue> {
        maybe_answered(
            self.inner
                .check_macs(body, length, signature, &mut macs, now_ms, event),
        )
    }

    /// Check a visit's token or HMAC, then the visit (the glue's [`Answer`], as JSON text).
    #[wasm_bindgen(js_name = constructVisit)]
    pub fn construct_visit(&self, body: &[u8], signature: &str) -> Result<String, JsValue> {
        answered(self.inner.construct_visit(body, signature))
    }
}
