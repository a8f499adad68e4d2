-- Mark a claimed delivery done, kept for the retention period.
-- KEYS[1]: the delivery key; ARGV[1]: the claim token; ARGV[2]: the retention, in milliseconds.
-- Returns 1 when the key held this token's claim: it now holds "done";
--         2 when the key was free (this claim's lease had expired and nobody retook it): it now holds "done";
--         0 otherwise (another worker's claim, or already done): the key is left untouched.
local value = redis.call('GET', KEYS[1])
if value == 'w:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
if not value then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 2
end
return 0
