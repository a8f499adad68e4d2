//! The Bitnob verifier's module (the `bitnob` feature): `BitnobWebhook`
//! and Bitnob's signing helpers, HMAC-SHA512 included.

use bullseye_webhooks_js_glue as glue;
use wasm_bindgen::prelude::*;

use crate::{maybe_answered, thrown};

#[wasm_bindgen]
extern "C" {
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

    /// The async path's checks before hashing (see
    /// [`glue::Bitnob::precheck`]): the MAC length, the signature's bytes
    /// and what the MAC covers before the body. The headers are
    /// `[name, value, ...]` joined as [`glue::split_joined`] reads them.
    pub fn precheck(
        &self,
        length: f64,
        headers: &str,
        lengths: &[u32],
    ) -> Result<Vec<u8>, JsValue> {
        glue::split_joined(headers, lengths)
            .and_then(|headers| self.inner.precheck(length, &headers))
            .map_err(thrown)
    }

    /// [`WasmBitnobWebhook::check`] with the MACs computed by Web Crypto
    /// (see [`glue::Bitnob::check_macs`]), the headers as `precheck` takes them.
    #[wasm_bindgen(js_name = checkMacs)]
    #[allow(clippy::too_many_arguments)]
    pub fn check_macs(
        &self,
        body: &[u8],
        length: f64,
        headers: &str,
        lengths: &[u32],
        macs: &[u8],
        now_ms: f64,
        event: bool,
    ) -> Result<Option<String>, JsValue> {
        let answer = glue::split_joined(headers, lengths).and_then(|headers| {
            self.inner
                .check_macs(body, length, &headers, macs, now_ms, event)
        });
        maybe_answered(answer)
    }
}
