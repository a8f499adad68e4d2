-- A message handled (or found handled before): acknowledged and deleted.
-- KEYS[1] the stream. ARGV[1] the group, ARGV[2] the message id.
-- Replies 1 (acknowledged), 0 (not pending: another worker settled it).
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return acked
