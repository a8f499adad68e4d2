-- Claim a delivery: atomically, in one script.
-- KEYS[1]: the delivery key (with the store's prefix).
-- ARGV[1]: the claim token (32 lowercase hex digits); ARGV[2]: the lease, in milliseconds.
-- Returns  0 when the key was free: it now holds "w:<token>" for the lease (new),
--            or when it already holds this token's claim (a retried call: new, lease unchanged);
--         -1 when the key holds "done" (duplicate);
--          n > 0 otherwise: another worker holds it, n = its remaining lease in ms (in flight).
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], 'w:' .. ARGV[1], 'PX', ARGV[2])
  return 0
end
if value == 'done' then
  return -1
end
if value == 'w:' .. ARGV[1] then
  -- This token's own claim: the same call retried after a lost reply.
  return 0
end
local remaining = redis.call('PTTL', KEYS[1])
if remaining < 1 then
  -- No expiry (a value this protocol never writes): answer with a whole lease.
  return tonumber(ARGV[2])
end
return remaining
