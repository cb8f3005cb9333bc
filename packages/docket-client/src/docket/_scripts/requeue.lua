-- Put one dead letter back on the stream, unless its key is pending again meanwhile.
-- KEYS: stream, dead-letter stream, task hash
-- ARGV: dead-letter id, key, token, payload, group, resend ("1" after a lost reply)
-- Returns 1 when requeued (now, or by the earlier send of a re-sent call), 0 when the key
-- already has a pending execution.
local stream, dead, task = KEYS[1], KEYS[2], KEYS[3]
local dead_id, key, token, payload, group = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if ARGV[6] == '1' and redis.call('HGET', task, 'g') == token
    and #redis.call('XRANGE', dead, dead_id, dead_id) == 0 then
  return 1
end
if pending_state(stream, group, task, key) then
  return 0
end
put(stream, false, task, key, token, payload, 0, true, false)
redis.call('XDEL', dead, dead_id)
return 1
