'use strict';
// The emulator (a local Bullseye serving the partner API) for the partner
// client's tests: the binary `cargo build -p bullseye-webhooks-emulator`
// makes (make test-node builds it first), started on a free port of
// 127.0.0.1 with its data in memory and the retry schedule compressed. It
// announces `partner API: http://127.0.0.1:PORT/api/v1` on stdout. A missing
// binary, or one that does not start, fails the test loudly.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('../impl.js');

const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
const BINARY = process.env.BULLSEYE_EMULATOR_BIN || path.join(TARGET, 'debug', 'bullseye-webhooks-emulator');

class Emulator {
  /**
   * Start one. `key`: the API key it requires; `timeScale`: the retry
   * schedule's multiplier; `timeout`: seconds a receiver has to answer.
   */
  static async start({ key, timeScale = 0.001, timeout = 5 } = {}) {
    if (!fs.existsSync(BINARY)) {
      throw new Error(`the emulator is not built (${BINARY} is missing): run cargo build -p bullseye-webhooks-emulator, or make test-node`);
    }
    const child = spawn(BINARY, ['--port', '0', '--in-memory', '--time-scale', String(timeScale), '--timeout', String(timeout)], {
      env: { ...process.env, BULLSEYE_PARTNER_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const emulator = new Emulator(child);
    emulator.baseUrl = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('the emulator did not announce its port within 30 s')), 30_000);
      const fail = (error) => {
        clearTimeout(timer);
        child.kill();
        reject(new Error(`${error.message}\nemulator stderr:\n${emulator.stderr}`));
      };
      child.once('error', fail);
      child.once('exit', (code, signal) => fail(new Error(`the emulator exited (${code ?? signal}) before announcing its port`)));
      child.stdout.on('data', (data) => {
        out += data;
        const match = /^partner API: (http:\/\/127\.0\.0\.1:\d+\/api\/v1)$/m.exec(out);
        if (match) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          child.removeAllListeners('error');
          resolve(match[1]);
        }
      });
    });
    return emulator;
  }

  constructor(child) {
    this.child = child;
    this.stderr = '';
    child.stderr.on('data', (data) => {
      this.stderr += data;
    });
  }

  /** Stop this emulator (its own process only). */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }
}

module.exports = { Emulator, EMULATOR_BINARY: BINARY };
