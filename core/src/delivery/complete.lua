-- Mark a claimed delivery done, kept for the retention period.
-- KEYS[1]: the delivery key; ARGV[1]: the claim token; ARGV[2]: the retention, in milliseconds;
-- ARGV[3]: the body's hash (kept with the done mark).
-- Returns 1 when the key held this token's claim ("w:<token>:<hash>", or "w:<token>" of the
--           format before the hash): it now holds "done:<hash>";
--         2 when the key was free (this claim's lease had expired and nobody retook it): it now holds "done:<hash>";
--         0 otherwise (another worker's claim, or already done): the key is left untouched.
local value = redis.call('GET', KEYS[1])
local mine = 'w:' .. ARGV[1]
if value == mine or (value and string.sub(value, 1, #mine + 1) == mine .. ':') then
  redis.call('SET', KEYS[1], 'done:' .. ARGV[3], 'PX', ARGV[2])
  return 1
end
if not value then
  redis.call('SET', KEYS[1], 'done:' .. ARGV[3], 'PX', ARGV[2])
  return 2
end
return 0
