'use strict';
// What the partner client's tests share (partner.test.js, partner-wire.test.js):
// the key they use and scripted node:http servers on 127.0.0.1.
const assert = require('node:assert/strict');
const http = require('node:http');
const { listen } = require('./http.js');

const KEY = 'pk_test_9hQ2xv_partner_key_do_not_print';

/** A node:http server on 127.0.0.1 recording every request; `respond(req, body, n)` answers the n-th (0-based). */
async function scripted(t, respond) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const n = seen.length;
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString(), at: performance.now() });
      respond(req, res, n, body);
    });
  });
  const base = await listen(server);
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { base: `${base}/api/v1`, seen, server };
}

function json(res, status, value, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function text(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(body);
}

async function rejects(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

async function until(what, fn, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

module.exports = { KEY, scripted, json, text, rejects, until, collect };
