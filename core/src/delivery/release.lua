-- Release a claim so that the sender's retry is processed.
-- KEYS[1]: the delivery key; ARGV[1]: the claim token.
-- Returns 1 when the key held this token's claim ("w:<token>:<hash>", or "w:<token>" of the
--           format before the hash): it is deleted;
--         0 otherwise (free, another worker's claim, or done): the key is left untouched.
local value = redis.call('GET', KEYS[1])
local mine = 'w:' .. ARGV[1]
if value == mine or (value and string.sub(value, 1, #mine + 1) == mine .. ':') then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
