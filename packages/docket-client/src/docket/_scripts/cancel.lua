-- Cancel the pending execution of one task key, and (running = "cancel") a running copy too.
-- KEYS: stream, queue, task hash
-- ARGV: key, group, token (of this cancel call), resend ("1" after a lost reply), memory_ms,
--   running ("cancel" or "finish"), cancel channel
-- A running copy is told to stop by a notice on the cancel channel naming its token; with
-- "finish" it runs to its end. Either way its acknowledgement no longer touches the key (no
-- retry, no next run of a Perpetual). A cancel that removed or stopped something leaves the
-- task hash holding only its token for `memory_ms`, so a re-send of the same call (its reply
-- was lost) still answers 1.
-- Returns 1 when a pending execution was removed or a running one told to stop, 0 otherwise.
local stream, queue, task = KEYS[1], KEYS[2], KEYS[3]
local key, group, token, resend, memory = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local running, channel = ARGV[6], ARGV[7]

if resend == '1' and redis.call('HGET', task, 'c') == token then
  return 1
end

local state, message = pending_state(stream, group, task)
local stopped = false
if state == 'queued' then
  redis.call('XDEL', stream, message)
elseif state == 'scheduled' then
  redis.call('ZREM', queue, key)
elseif message and running == 'cancel' then
  local holder = redis.call('HGET', task, 'g')
  if holder then
    local notice = holder .. ' ' .. key
    redis.call('PUBLISH', channel, notice)
    stopped = true
  end
end
redis.call('DEL', task)
if state or stopped then
  redis.call('HSET', task, 'c', token)
  redis.call('PEXPIRE', task, memory)
  return 1
end
return 0
