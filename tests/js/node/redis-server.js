'use strict';
// A real redis-server (the Debian package the project's set-up installs) for
// the de-duplication tests: started on a free port of 127.0.0.1, with no
// persistence, in a temporary folder; killed (and restartable on the same
// port) by the test. A missing redis-server fails the test, loudly.
// A port found free may be found free by a test running beside this one too,
// so the server counts only when the one answering reports this child's pid
// (as the Rust helper in tests/redis-server does).
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

/**
 * Resolves to the process id the server on 127.0.0.1:port reports (`INFO server`)
 * once something there answers, or to null once `child` has exited.
 */
async function answeringPid(port, deadline, child) {
  while (child.exitCode === null && child.signalCode === null) {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer INFO on 127.0.0.1:${port}`);
    const pid = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let reply = '';
      socket.setTimeout(500, () => socket.destroy());
      socket.once('error', () => resolve(null));
      socket.once('close', () => {
        const match = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
        resolve(match ? Number(match[1]) : null);
      });
      socket.on('connect', () => socket.write('INFO server\r\n'));
      socket.on('data', (data) => {
        reply += data;
        // A bulk reply: `$<length>\r\n<payload>\r\n`; done once it is all in.
        const head = /^\$(\d+)\r\n/.exec(reply);
        if (head && Buffer.byteLength(reply) >= head[0].length + Number(head[1]) + 2) socket.end();
        else if (reply.startsWith('-')) socket.end();
      });
    });
    if (pid !== null) return pid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
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
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (await server.run()) return server;
      await server.kill();
      server.port = await freePort();
      server.url = `redis://127.0.0.1:${server.port}`;
    }
    throw new Error('redis-server: no free loopback port of its own in 20 tries');
  }

  /** Start on `this.port`; whether the server answering there is this child. */
  async run() {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--loglevel', 'warning'];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d) => (this.log += d));
    child.stderr.on('data', (d) => (this.log += d));
    // Exiting at start (the port was taken) is not an error here: the caller tries another port.
    const pid = await answeringPid(this.port, Date.now() + 10_000, child);
    return pid !== null && pid === child.pid && child.exitCode === null && child.signalCode === null;
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
    if (!(await this.run())) throw new Error(`redis-server did not start again on port ${this.port}: ${this.log}`);
  }

  async stop() {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { RedisServer };
