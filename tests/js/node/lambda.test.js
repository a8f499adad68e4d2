'use strict';
// The AWS Lambda adapter on the event shapes AWS documents: API Gateway REST
// (payload 1.0, with multiValueHeaders), HTTP API (payload 2.0) and function
// URLs (2.0); bodies plain and base64; header names in any case.
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('../impl.js');
const { SECRET, hmac, identification, tampered, signed } = require('../fixtures.js');

const { Webhook, MemoryStore, lambdaHandler } = lib;
const quiet = { logger: { warn() {}, error() {} } };

/** API Gateway REST proxy event (payload format 1.0), as AWS documents it. */
function restEvent(body, headers, { base64 = false } = {}) {
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  return {
    resource: '/hook',
    path: '/hook',
    httpMethod: 'POST',
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...headers },
    multiValueHeaders: { Host: ['abc123.execute-api.us-east-1.amazonaws.com'], ...multiValueHeaders },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { resourcePath: '/hook', httpMethod: 'POST', stage: 'prod', requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' },
    body: base64 ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: base64,
  };
}

/** HTTP API (payload format 2.0) event; a function URL event has the same shape with routeKey $default. */
function httpApiEvent(body, headers, { base64 = false, functionUrl = false } = {}) {
  return {
    version: '2.0',
    routeKey: functionUrl ? '$default' : 'POST /hook',
    rawPath: '/hook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: functionUrl ? 'abcdefghijklmnop' : 'api-id',
      domainName: functionUrl ? 'abcdefghijklmnop.lambda-url.us-west-2.on.aws' : 'id.execute-api.us-east-1.amazonaws.com',
      http: { method: 'POST', path: '/hook', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'agent' },
      requestId: 'id',
      routeKey: functionUrl ? '$default' : 'POST /hook',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    body: base64 ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: base64,
  };
}

const SHAPES = {
  rest: restEvent,
  'rest, base64': (body, headers) => restEvent(body, headers, { base64: true }),
  'http api': httpApiEvent,
  'http api, base64': (body, headers) => httpApiEvent(body, headers, { base64: true }),
  'function url, base64': (body, headers) => httpApiEvent(body, headers, { base64: true, functionUrl: true }),
};

const handler = lambdaHandler(new Webhook(SECRET), (event) => ({ event_type: event.event_type }), quiet);

test('a signed delivery in every event shape and header casing reaches the handler', async () => {
  for (const [shape, make] of Object.entries(SHAPES)) {
    for (const name of ['X-Bullseye-Signature', 'x-bullseye-signature', 'X-BULLSEYE-SIGNATURE']) {
      const answer = await handler(make(identification, { [name]: signed }), {});
      assert.equal(answer.statusCode, 200, `${shape} ${name}`);
      assert.deepEqual(JSON.parse(answer.body), { event_type: 'visitor.identified' }, shape);
      assert.equal(answer.isBase64Encoded, false);
    }
  }
});

test('REST multiValueHeaders: the signature found there when headers lacks it', async () => {
  const event = restEvent(identification, {});
  event.multiValueHeaders['X-Bullseye-Signature'] = [signed];
  const answer = await handler(event, {});
  assert.equal(answer.statusCode, 200);
});

test('every refusal code, in every shape, with the contract status and {"error": code}', async () => {
  const small = lambdaHandler(new Webhook(SECRET, { maxBodyBytes: 64 }), () => assert.fail('handler ran'), quiet);
  const strict = lambdaHandler(new Webhook(SECRET, { tolerance: 300 }), () => assert.fail('handler ran'), quiet);
  const refusing = lambdaHandler(new Webhook(SECRET), () => assert.fail('handler ran'), quiet);
  const noType = Buffer.from('{"data":1}');
  const cases = [
    [refusing, tampered, { 'X-Bullseye-Signature': signed }, 401, 'signature_mismatch'],
    [refusing, identification, {}, 400, 'missing_signature'],
    [refusing, identification, { 'X-Bullseye-Signature': 'abc' }, 400, 'malformed_signature'],
    [refusing, Buffer.from([0xff, 0xfe]), { 'X-Bullseye-Signature': hmac(SECRET, Buffer.from([0xff, 0xfe])) }, 400, 'invalid_body'],
    [refusing, noType, { 'X-Bullseye-Signature': hmac(SECRET, noType) }, 400, 'invalid_payload'],
    [small, identification, { 'X-Bullseye-Signature': signed }, 413, 'body_too_large'],
    [strict, identification, { 'X-Bullseye-Signature': signed }, 401, 'timestamp_out_of_tolerance'],
  ];
  for (const [shape, make] of Object.entries(SHAPES)) {
    for (const [h, body, headers, status, code] of cases) {
      // Non-UTF-8 bytes only survive a base64 event (as API Gateway sends binary bodies).
      if (code === 'invalid_body' && !shape.includes('base64')) continue;
      const answer = await h(make(body, headers), {});
      assert.equal(answer.statusCode, status, `${shape}: ${code}`);
      assert.deepEqual(JSON.parse(answer.body), { error: code }, `${shape}: ${code}`);
      assert.equal(answer.headers['content-type'], 'application/json');
    }
  }
});

test('the handler may answer a Lambda response itself, or nothing (204); a dedupe store answers a duplicate', async () => {
  const own = lambdaHandler(new Webhook(SECRET), () => ({ statusCode: 202, headers: { 'x-own': '1' }, body: 'queued' }), quiet);
  assert.deepEqual(await own(httpApiEvent(identification, { 'x-bullseye-signature': signed }), {}), {
    isBase64Encoded: false,
    statusCode: 202,
    headers: { 'x-own': '1' },
    body: 'queued',
  });
  const none = lambdaHandler(new Webhook(SECRET), () => undefined, quiet);
  assert.equal((await none(restEvent(identification, { 'X-Bullseye-Signature': signed }), {})).statusCode, 204);
  let runs = 0;
  const deduped = lambdaHandler(new Webhook(SECRET), () => { runs += 1; }, { ...quiet, dedupe: new MemoryStore() });
  assert.equal((await deduped(restEvent(identification, { 'X-Bullseye-Signature': signed }), {})).statusCode, 204);
  const again = await deduped(httpApiEvent(identification, { 'x-bullseye-signature': signed }), {});
  assert.equal(again.statusCode, 200);
  assert.deepEqual(JSON.parse(again.body), { duplicate: true });
  assert.equal(runs, 1);
});
