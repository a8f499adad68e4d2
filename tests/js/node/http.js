'use strict';
// Helpers for the integration tests: dev dependencies come from
// bindings-node/node_modules, servers listen on 127.0.0.1, requests are real HTTP.
const { createRequire } = require('node:module');
const path = require('node:path');
const { ROOT } = require('../impl.js');

const requireDev = createRequire(path.join(ROOT, 'bindings-node', 'package.json'));

/** Start a Node http.Server on a free port of 127.0.0.1; resolves to its base URL. */
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

/** POST and read the answer as { status, json, text, headers } (json parsed when JSON). */
async function post(url, body, headers = {}) {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

module.exports = { requireDev, listen, post };
