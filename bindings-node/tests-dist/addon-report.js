'use strict';
// Preloaded (`NODE_OPTIONS=--require=...`) into each process of the dist
// test. When the process exits having loaded the installed bullseye-webhooks,
// it appends one line to $BULLSEYE_ADDON_REPORT: the path of every native
// addon the process loaded, or `none` (a WASM fallback, say). The dist test
// then checks that every line names the per-platform package's addon, so the
// vectors provably ran through that addon, not through something else.
const fs = require('node:fs');
const path = require('node:path');

const report = process.env.BULLSEYE_ADDON_REPORT;
if (!report) throw new Error('addon-report.js: BULLSEYE_ADDON_REPORT is not set');

process.on('exit', () => {
  const loaded = Object.keys(require.cache);
  const packageDir = `${path.sep}node_modules${path.sep}bullseye-webhooks${path.sep}`;
  if (!loaded.some((file) => file.includes(packageDir))) return;
  const addons = loaded.filter((file) => file.endsWith('.node'));
  fs.appendFileSync(report, `${process.arch} ${addons.length ? addons.join(' ') : 'none'}\n`);
});
