'use strict';
// A real redis-server (the Debian package the project's set-up installs) for
// the de-duplication tests: started on a free port of 127.0.0.1, with no
// persistence, in a temporary folder; killed (and restartable on the same
// port) by the test. A missing redis-server fails the test, loudly.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REDIS_SERVER = '/usr/bin/redis-server';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on 127.0.0.1:port and answers PING. */
async function answersPing(port, deadline) {
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let reply = '';
      socket.setTimeout(500, () => socket.destroy());
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(reply.startsWith('+PONG')));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (data) => {
        reply += data;
        if (reply.includes('\r\n')) socket.end();
      });
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer PING on 127.0.0.1:${port}`);
}

class RedisServer {
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://127.0.0.1:${port}`;
    this.child = null;
    this.log = '';
  }

  static async start() {
    if (!fs.existsSync(REDIS_SERVER)) {
      throw new Error(`${REDIS_SERVER} is missing: install the Debian package redis-server (scripts/setup.sh does)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullseye-redis-'));
    const server = new RedisServer(await freePort(), dir);
    await server.run();
    return server;
  }

  async run() {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--loglevel', 'warning'];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d) => (this.log += d));
    child.stderr.on('data', (d) => (this.log += d));
    const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${this.log}`))));
    exited.catch(() => {});
    await Promise.race([answersPing(this.port, Date.now() + 10_000), exited]);
  }

  /** SIGKILL, as a crash: resolves once the process is gone. */
  async kill() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  /** Start again on the same port (empty: no persistence). */
  async restart() {
    await this.kill();
    await this.run();
  }

  async stop() {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { RedisServer };
