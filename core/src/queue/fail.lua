-- A message whose handling failed: scheduled again after a delay, or moved
-- to the dead letters with the reason kept. Atomic: it is acknowledged
-- (and deleted) in the same step, so it is never both retried and pending.
-- KEYS[1] the stream, KEYS[2] the retry set, KEYS[3] the dead-letter stream.
-- ARGV[1] the group, ARGV[2] the message id, ARGV[3] the envelope's JSON,
-- ARGV[4] the claim token, ARGV[5] this attempt (from 1), ARGV[6] the most
-- attempts (0: dead now), ARGV[7] the delay in milliseconds, ARGV[8] the reason.
-- Replies 1 (scheduled), 2 (dead-lettered), 0 (not pending for the group:
-- another worker settled it; nothing done).
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local attempt = tonumber(ARGV[5])
if attempt >= tonumber(ARGV[6]) then
  redis.call('XADD', KEYS[3], '*', 'envelope', ARGV[3], 'token', ARGV[4], 'attempts', ARGV[5],
    'reason', ARGV[8], 'failed_at_ms', tostring(now), 'message_id', ARGV[2])
  return 2
end
local member = cjson.encode({ envelope = ARGV[3], token = ARGV[4], attempt = attempt + 1,
  reason = ARGV[8], message_id = ARGV[2] })
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[7]), member)
return 1
