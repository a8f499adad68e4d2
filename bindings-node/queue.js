'use strict';
// Hand deliveries to a queue (Node only; needs the napi addon): the
// envelope (makeEnvelope, openEnvelope, Envelope) and the Redis Streams
// hand-off (RedisStreamQueue, QueueReceiver, QueueWorker). The envelope's
// form, the stream's layout, its Lua scripts and the retry delays are the
// Rust core's, so Python and Node receivers and workers share one stream.
// One module per part, in queue/: common.js (the addon, the layout, the
// errors), envelope.js, redis-streams.js, receiver.js, runner.js (one
// envelope through the handler; BullMQ's processor uses it too) and
// worker.js. This entry is required on first use (index.js).

const { InvalidEnvelopeError, QueueUnavailableError, positiveMs, queueLayout } = require('./queue/common.js');
const { Envelope, makeEnvelope, openEnvelope } = require('./queue/envelope.js');
const { RedisStreamQueue } = require('./queue/redis-streams.js');
const { QueueReceiver } = require('./queue/receiver.js');
const { QueueWorker } = require('./queue/worker.js');
const { DeliveryRunner } = require('./queue/runner.js');

module.exports = {
  DeliveryRunner,
  Envelope,
  InvalidEnvelopeError,
  QueueUnavailableError,
  RedisStreamQueue,
  QueueReceiver,
  QueueWorker,
  makeEnvelope,
  openEnvelope,
  positiveMs,
  queueLayout,
};
