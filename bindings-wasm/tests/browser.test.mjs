// Every vector in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): a page served on 127.0.0.1 loads the package's
// web entry, `await init()`s it (twice) and `await initBitnob()`s, and runs tests/js/vectors.test.js
// unchanged (tests/browser/harness.js), then every case of
// fixtures/bitnob-vectors.json (tests/bitnob-cases.mjs). Then the same
// Bullseye vectors on the Bullseye-only entry (bullseye.js) in a page of its
// own, which must fetch no Bitnob module or glue. Fails, never skips,
// when Chromium is missing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const PKG = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(PKG, '..');
// URL prefix -> folder; nothing else is served.
const MOUNTS = [
  ['/package/', PKG],
  ['/fixtures/', join(ROOT, 'fixtures')],
  ['/tests/js/', join(ROOT, 'tests', 'js')],
  ['/harness/', join(PKG, 'tests', 'browser')],
  ['/wasm-tests/', join(PKG, 'tests')],
];
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };

function serve() {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix));
    const file = mount && normalize(join(mount[1], path.slice(mount[0].length)));
    if (!file || !file.startsWith(mount[1]) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('every vector (Bullseye and Bitnob) passes in headless Chromium', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: make setup-wasm installs Debian's chromium`);
  const server = await serve();
  const profile = mkdtempSync(join(tmpdir(), 'bullseye-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    const wasmResponses = [];
    page.on('response', (response) => {
      if (response.url().endsWith('.wasm')) wasmResponses.push(`${response.url().split('/').pop()} ${response.headers()['content-type']}`);
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/harness/index.html`);
    await page.waitForFunction(() => typeof window.bullseyeRun === 'function', null, { timeout: 30_000 });
    const report = await page.evaluate(() => window.bullseyeRun());
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(
      wasmResponses.sort(),
      ['bullseye_webhooks_bitnob_bg.wasm application/wasm', 'bullseye_webhooks_wasm_bg.wasm application/wasm'],
      'each .wasm is fetched once, as application/wasm',
    );
    assert.match(report.userAgent, /Chrome\//);
    const failures = report.results.filter((r) => !r.ok);
    assert.deepEqual(failures, [], `${failures.length} of ${report.results.length} failed in Chromium`);
    // One test per vector, plus the suite's count check.
    assert.equal(report.results.length, report.cases + 1);
    assert.deepEqual(report.bitnob.failures, [], `${report.bitnob.failures.length} Bitnob failures in Chromium`);
    assert.ok(report.bitnob.cases >= 100, `only ${report.bitnob.cases} Bitnob vectors ran`);
    console.log(`chromium: ${report.results.length} tests passed (${report.cases} vectors) in ${report.userAgent.match(/Chrome\/\S+/)[0]}`);
    console.log(`chromium: ${report.bitnob.cases} Bitnob vectors and ${report.bitnob.helpers} secret-helper cases passed`);

    // The Bullseye-only entry in a page of its own: the same vectors, and
    // nothing of Bitnob's fetched (neither its .wasm nor its glue).
    const only = await context.newPage();
    const onlyErrors = [];
    only.on('pageerror', (error) => onlyErrors.push(String(error)));
    const fetched = [];
    only.on('response', (response) => fetched.push(new URL(response.url()).pathname));
    await only.goto(`http://127.0.0.1:${server.address().port}/harness/index.html?entry=bullseye`);
    await only.waitForFunction(() => typeof window.bullseyeRun === 'function', null, { timeout: 30_000 });
    const bullseye = await only.evaluate(() => window.bullseyeRun());
    assert.deepEqual(onlyErrors, []);
    assert.equal(bullseye.entry, 'bullseye');
    const bullseyeFailures = bullseye.results.filter((r) => !r.ok);
    assert.deepEqual(bullseyeFailures, [], `${bullseyeFailures.length} of ${bullseye.results.length} failed on the Bullseye-only entry`);
    assert.equal(bullseye.results.length, bullseye.cases + 1);
    assert.ok(fetched.includes('/package/bullseye.js') && fetched.includes('/package/pkg/bullseye_webhooks_wasm_bg.wasm'), fetched.join(', '));
    assert.deepEqual(fetched.filter((path) => /bitnob/i.test(path) && !path.startsWith('/wasm-tests/')), [], 'the Bullseye-only entry fetches nothing of Bitnob');
    for (const name of ['BitnobWebhook', 'signBitnob', 'signBitnobLegacy', 'secretLast4', 'initBitnob', 'initBitnobSync']) {
      assert.ok(!bullseye.exports.includes(name), `the Bullseye-only entry exports ${name}`);
    }
    console.log(`chromium: ${bullseye.results.length} tests passed on the Bullseye-only entry, nothing of Bitnob fetched`);
  } finally {
    await context?.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
