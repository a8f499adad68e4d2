-- Move the retries that are due from the retry set back onto the stream.
-- KEYS[1] the stream, KEYS[2] the retry set. ARGV[1] the most to move.
-- Replies how many were moved.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local retry = cjson.decode(member)
  redis.call('XADD', KEYS[1], '*', 'envelope', retry.envelope, 'token', retry.token,
    'attempt', string.format('%d', retry.attempt), 'last_error', retry.reason)
  redis.call('ZREM', KEYS[2], member)
end
return #due
