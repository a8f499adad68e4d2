'use strict';
// Hostile sizes and steady-state memory, for whichever package BULLSEYE_IMPL
// chooses: a 100 MB body is refused by size before any work, and 100,000
// deliveries in a loop do not grow the process (a generous bound on RSS).
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('./impl.js');
const { identification, hmac } = require('./fixtures.js');

const { Webhook } = lib;

test('a 100 MB body is refused as body_too_large, as bytes and as a string', () => {
  const webhook = new Webhook('whsec_memory');
  const huge = new Uint8Array(100 * 1024 * 1024);
  assert.throws(() => webhook.verify(huge, '0'.repeat(64)), { code: 'body_too_large' });
  assert.throws(() => webhook.constructEvent(huge, '0'.repeat(64)), { code: 'body_too_large' });
  const hugeText = ' '.repeat(100 * 1024 * 1024);
  assert.throws(() => webhook.constructEvent(hugeText, '0'.repeat(64)), { code: 'body_too_large' });
});

test('100,000 deliveries do not grow resident memory', () => {
  const webhook = new Webhook(['whsec_new', 'whsec_old']);
  const signature = hmac('whsec_old', identification);
  const deliver = (i) => {
    const event = webhook.constructEvent(identification, signature);
    assert.equal(event.event_type, 'visitor.identified');
    assert.throws(() => webhook.verify(identification, i % 2 ? '0'.repeat(64) : 'short'));
  };
  for (let i = 0; i < 10_000; i++) deliver(i); // warm up the heap and the JIT
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 100_000; i++) deliver(i);
  const grown = process.memoryUsage().rss - before;
  // A leak of 500 bytes per delivery would be 50 MB; garbage not yet
  // collected stays well under this bound.
  assert.ok(grown < 40 * 1024 * 1024, `resident memory grew by ${(grown / 1e6).toFixed(1)} MB`);
});
