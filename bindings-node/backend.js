'use strict';
// The Node backend of the shared API (webhooks.js and support.js, copied in
// from the repository's js/ by `make build-node`): the napi addon's calls,
// which take strings and byte views alike and answer in the same shapes as
// the WASM package's .wasm. Every webhook rule is decided by the Rust core
// behind `./native`.

const native = require('./native/index.js');

const [BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BITNOB_EVENT_HEADER] = native.bitnobHeaders();

module.exports = {
  constants: {
    SIGNATURE_HEADER: native.signatureHeader(),
    VISIT_SIGNATURE_HEADER: native.visitSignatureHeader(),
    DEFAULT_MAX_BODY_BYTES: native.defaultMaxBodyBytes(),
    BITNOB_SIGNATURE_HEADER,
    BITNOB_TIMESTAMP_HEADER,
    BITNOB_EVENT_HEADER,
    DEFAULT_BITNOB_TOLERANCE: native.defaultBitnobTolerance(),
    BODY_TYPES: 'a Buffer, Uint8Array or string',
  },
  loaded: () => true,
  // node:crypto's HMAC in the addon is faster than Web Crypto in Node.
  webCrypto: () => false,
  ready() {},
  utf8: (text) => Buffer.from(text, 'utf8'),
  copy: (bytes) => Buffer.from(bytes),
  text: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  body: (raw) => raw,
  errorCodes: native.errorCodes,
  errorStatuses: native.errorStatuses,
  findHeader: native.findHeader,
  sign: native.sign,
  signBitnob: native.signBitnob,
  signBitnobLegacy: native.signBitnobLegacy,
  secretLast4: native.secretLast4,
  parseVisit: native.parseVisit,
  webhook: (secrets, tolerance, maxBodyBytes, strict) => new native.NativeWebhook(secrets, tolerance, maxBodyBytes, strict),
  bitnob: (secrets, tolerance, legacySha512, maxBodyBytes) => new native.NativeBitnobWebhook(secrets, tolerance, legacySha512, maxBodyBytes),
};
