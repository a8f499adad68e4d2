'use strict';
// Preloaded into README examples that start a server: whatever port they ask
// for, bind a free port of 127.0.0.1 and report it on stdout.
const net = require('node:net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const callback = args.find((arg) => typeof arg === 'function');
  this.once('listening', () => process.stdout.write(`README_LISTENING ${this.address().port}\n`));
  return listen.call(this, 0, '127.0.0.1', callback);
};
