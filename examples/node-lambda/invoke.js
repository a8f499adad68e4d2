'use strict';
// Invoke handler.js locally with the event shapes AWS documents: a REST
// (payload 1.0) event and a function URL (payload 2.0, base64 body) event,
// for each delivery given. Usage: node invoke.js BODY_FILE [SIGNATURE]
// Prints one JSON line per event: the shape and the Lambda response.
const fs = require('node:fs');
const { handler } = require('./handler.js');

const [body, signature] = [fs.readFileSync(process.argv[2]), process.argv[3]];
const signed = signature ? { 'X-Bullseye-Signature': signature } : {};
const events = {
  rest: {
    resource: '/webhooks/bullseye',
    path: '/webhooks/bullseye',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', ...signed },
    multiValueHeaders: Object.fromEntries(Object.entries({ 'Content-Type': 'application/json', ...signed }).map(([k, v]) => [k, [v]])),
    requestContext: { resourcePath: '/webhooks/bullseye', httpMethod: 'POST', stage: 'prod' },
    body: body.toString('utf8'),
    isBase64Encoded: false,
  },
  'function url': {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...signed }).map(([k, v]) => [k.toLowerCase(), v])),
    requestContext: { http: { method: 'POST', path: '/' }, routeKey: '$default', stage: '$default' },
    body: body.toString('base64'),
    isBase64Encoded: true,
  },
};

(async () => {
  for (const [shape, event] of Object.entries(events)) {
    console.log(JSON.stringify({ shape, response: await handler(event, {}) }));
  }
})();
