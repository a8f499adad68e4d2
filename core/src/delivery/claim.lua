-- Claim a delivery: atomically, in one script.
-- KEYS[1]: the delivery key (with the store's prefix).
-- ARGV[1]: the claim token (32 lowercase hex digits); ARGV[2]: the lease, in milliseconds;
-- ARGV[3]: the body's hash (64 lowercase hex digits; empty: unknown, never a conflict).
-- A claim holds "w:<token>:<hash>", a handled delivery "done:<hash>". Records of the format
-- before the hash ("w:<token>", "done") have an unknown hash: treated as the same body
-- (duplicate or in flight), never as a conflict, so a store written by an older receiver
-- keeps working.
-- Returns {code, stored hash or ""}:
--   { 0, ""} when the key was free: it now holds "w:<token>:<hash>" for the lease (new),
--            or when it already holds this token's claim (a retried call: new, lease unchanged);
--   {-1, ""} when the key is done with this body or an unknown one (duplicate);
--   {-2, h}  when the key is done with another body, whose hash is h (conflict);
--   {-3, h}  when another worker holds it with another body (conflict, in flight);
--   { n, ""} n > 0 otherwise: another worker holds it, n = its remaining lease in ms (in flight).
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], 'w:' .. ARGV[1] .. ':' .. ARGV[3], 'PX', ARGV[2])
  return {0, ''}
end
local function differs(stored)
  return stored ~= '' and ARGV[3] ~= '' and stored ~= ARGV[3]
end
if value == 'done' or string.sub(value, 1, 5) == 'done:' then
  local stored = string.sub(value, 6)
  if differs(stored) then
    return {-2, stored}
  end
  return {-1, ''}
end
local token, stored = string.match(value, '^w:([^:]*):?(.*)$')
if token == ARGV[1] then
  -- This token's own claim: the same call retried after a lost reply.
  return {0, ''}
end
if stored and differs(stored) then
  return {-3, stored}
end
local remaining = redis.call('PTTL', KEYS[1])
if remaining < 1 then
  -- No expiry (a value this protocol never writes): answer with a whole lease.
  return {tonumber(ARGV[2]), ''}
end
return {remaining, ''}
