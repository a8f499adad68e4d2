'use strict';
// What the queue's modules share: the addon (the queue hand-off needs it),
// the core's layout and defaults, the two errors, and the checks of
// options and stores.

const backend = require('../backend.js');
const { describe } = require('../support.js');
const { logConflict, logError } = require('../dedupe.js');

function addon() {
  if (backend.native === null) {
    throw new Error('bullseye-webhooks: the queue hand-off needs the native addon, which did not load on this platform');
  }
  return backend.native;
}

/** The core's defaults and scripts (read once, on first use). */
let layout;
function queueLayout() {
  layout ??= addon().queueLayout();
  return layout;
}

/**
 * An envelope that cannot be read or does not fit the verifier opening it
 * (`code` 'invalid_envelope'). Not a WebhookError: the queue produced it,
 * and trying again cannot help. Its message never holds the body.
 */
class InvalidEnvelopeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidEnvelopeError';
    this.code = 'invalid_envelope';
  }
}

/**
 * The queue (Redis) could not be reached or did not answer in time.
 * `maybeSent`: false only when the command surely never reached Redis (the
 * connection was refused); after a timeout or a connection lost mid-command
 * it may have been carried out.
 */
class QueueUnavailableError extends Error {
  constructor(message, options) {
    super(`queue_unavailable: ${message}`, options);
    this.name = 'QueueUnavailableError';
    this.code = 'queue_unavailable';
    this.maybeSent = options?.maybeSent ?? true;
  }
}

function positiveMs(value, name) {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`${name} must be a positive number of seconds, got ${describe(value)}`);
  }
  return Math.max(1, Math.round(value * 1000));
}

function isStore(value) {
  return value !== null && typeof value === 'object' && ['claim', 'complete', 'release'].every((name) => typeof value[name] === 'function');
}

module.exports = { addon, queueLayout, InvalidEnvelopeError, QueueUnavailableError, positiveMs, isStore, logConflict, logError };
