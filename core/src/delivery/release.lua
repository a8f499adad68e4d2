-- Release a claim so that the sender's retry is processed.
-- KEYS[1]: the delivery key; ARGV[1]: the claim token.
-- Returns 1 when the key held this token's claim: it is deleted;
--         0 otherwise (free, another worker's claim, or done): the key is left untouched.
if redis.call('GET', KEYS[1]) == 'w:' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
