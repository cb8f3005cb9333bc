-- Cancel the pending execution of one task key. A copy that is already running finishes,
-- but its acknowledgement will not touch the key any more.
-- KEYS: stream, queue, task hash
-- ARGV: key, group
-- Returns 1 when a pending execution was removed, 0 otherwise.
local stream, queue, task = KEYS[1], KEYS[2], KEYS[3]
local key, group = ARGV[1], ARGV[2]

local state, message = pending_state(stream, group, task)
if state == 'queued' then
  redis.call('XDEL', stream, message)
elseif state == 'scheduled' then
  redis.call('ZREM', queue, key)
end
redis.call('DEL', task)
return state and 1 or 0
