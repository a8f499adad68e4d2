'use strict';
// Runs the Node quickstart of bindings-node/README.md's "Partner API"
// section (its ```javascript block with `process.env`) against the emulator,
// started here on a free loopback port, with a receiver on another: the
// example's `http://127.0.0.1:3000` becomes that receiver's address (the
// one change made to it). The example must exit 0, print what its
// `console.log(...); // expected` comments say, and the receiver must get
// the test delivery. The section's Worker example runs in workerd
// (partner-workerd.test.mjs). These blocks are fenced ```javascript so that
// readme.test.js, which runs the ```js blocks with no emulator, leaves them.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { ROOT } = require('../impl.js');
const { listen } = require('./http.js');
const { Emulator } = require('./emulator.js');

const PKG = path.join(ROOT, 'bindings-node');
const KEY = 'pk_readme_partner_q8Lm';

/** The ```javascript blocks of the README's "## Partner API" section. */
function partnerBlocks() {
  const text = fs.readFileSync(path.join(PKG, 'README.md'), 'utf8');
  const start = text.indexOf('\n## Partner API\n');
  assert.ok(start >= 0, 'bindings-node/README.md has no "## Partner API" section');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```javascript\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function run(file, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

test('the Partner API section has its Node quickstart and its Worker', () => {
  const blocks = partnerBlocks();
  assert.equal(blocks.length, 2);
  assert.match(blocks[0], /process\.env\.BULLSEYE_PARTNER_API_KEY/);
  assert.match(blocks[1], /export default \{/);
});

test('the Node quickstart runs against the emulator', async (t) => {
  const [code] = partnerBlocks();
  const emulator = await Emulator.start({ key: KEY });
  t.after(() => emulator.stop());
  const received = [];
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url, signature: req.headers['x-bullseye-signature'], body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  const receiverUrl = await listen(receiver);
  t.after(() => receiver.close());

  assert.ok(code.includes('http://127.0.0.1:3000'), 'the quickstart names its receiver on port 3000');
  const file = path.join(PKG, `.readme-partner-${process.pid}.mjs`);
  fs.writeFileSync(file, code.replaceAll('http://127.0.0.1:3000', receiverUrl));
  t.after(() => fs.rmSync(file, { force: true }));

  const { code: status, stdout, stderr } = await run(file, { ...process.env, BULLSEYE_PARTNER_API_KEY: KEY, BULLSEYE_PARTNER_API_URL: emulator.baseUrl });
  assert.equal(status, 0, `the quickstart failed:\n${stderr}`);
  const printed = stdout.trim().split('\n');
  const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1].trim());
  assert.ok(expected.length >= 3, `expected outputs: ${expected}`);
  for (const want of expected) {
    assert.ok(printed.includes(want), `printed ${JSON.stringify(printed)}, expected a line ${JSON.stringify(want)}`);
  }
  // The logs loop printed the one attempt: when, delivered, 200, how long.
  const logLines = printed.filter((line) => / delivered 200 \d+ ms$/.test(line));
  assert.equal(logLines.length, 1, stdout);
  assert.ok(!Number.isNaN(Date.parse(logLines[0].split(' ')[0])), logLines[0]);
  assert.ok(!stdout.includes(KEY) && !stderr.includes(KEY), 'the key was printed');

  assert.equal(received.length, 1);
  assert.equal(received[0].url, '/webhooks/bullseye');
  assert.match(received[0].signature, /^[0-9a-f]{64}$/);
  assert.equal(JSON.parse(received[0].body).event_type, 'visitor.identified');
});
