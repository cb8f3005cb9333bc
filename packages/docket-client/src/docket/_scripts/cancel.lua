-- Cancel the pending execution of one task key. A copy that is already running finishes,
-- but its acknowledgement will not touch the key any more.
-- KEYS: stream, queue, task hash
-- ARGV: key, group, token (of this cancel call), resend ("1" after a lost reply), memory_ms
-- A cancel that removed something leaves the task hash holding only its token for
-- `memory_ms`, so a re-send of the same call (its reply was lost) still answers 1.
-- Returns 1 when a pending execution was removed, 0 otherwise.
local stream, queue, task = KEYS[1], KEYS[2], KEYS[3]
local key, group, token, resend, memory = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if resend == '1' and redis.call('HGET', task, 'c') == token then
  return 1
end

local state, message = pending_state(stream, group, task)
if state == 'queued' then
  redis.call('XDEL', stream, message)
elseif state == 'scheduled' then
  redis.call('ZREM', queue, key)
end
redis.call('DEL', task)
if state then
  redis.call('HSET', task, 'c', token)
  redis.call('PEXPIRE', task, memory)
  return 1
end
return 0
