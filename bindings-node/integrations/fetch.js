'use strict';
// The Fetch API handler is shared (fetch.js, a build copy of the
// repository's js/fetch.js); the Node package adds the de-duplication
// stores' claim flow, which only it has.

const { fetchHandler: sharedFetchHandler } = require('../fetch.js');
const { dedupeSettings, claimDelivery, settleClaim } = require('./stores.js');

const dedupe = { dedupeSettings, claimDelivery, settleClaim };

/** `verifier.handler(fn, options)` with de-duplication: see Webhook#handler. */
function fetchHandler(verifier, fn, options) {
  return sharedFetchHandler(verifier, fn, options, dedupe);
}

module.exports = { fetchHandler };
