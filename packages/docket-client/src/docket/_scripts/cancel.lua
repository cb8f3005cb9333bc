-- Cancel the pending execution of one task key, and (running = "cancel") a running copy too.
-- KEYS: stream, queue, task hash, followed keys (see prelude.lua's followed_now)
-- ARGV: key, group, token (of this cancel call), resend ("1" after a lost reply), memory_ms,
--   running ("cancel" or "finish"), cancel channel, record_ms (execution_ttl: how long the
--   record of the cancelled execution is kept; 0 keeps none), events (channel prefix for
--   state announcements, '' for none), now_ms
-- A running copy is told to stop by a notice on the cancel channel naming its token; with
-- "finish" it runs to its end. Either way its acknowledgement no longer touches the key (no
-- retry, no next run of a Perpetual). A cancel that removed or stopped something leaves the
-- task hash holding its token for `memory_ms` (and the execution's record, state
-- "cancelled", for `record_ms` if that is longer), so a re-send of the same call (its reply
-- was lost) still answers 1.
-- Returns 1 when a pending execution was removed or a running one told to stop, 0 otherwise.
local stream, queue, task, followed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local key, group, token, resend, memory = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local running, channel = ARGV[6], ARGV[7]
local record_ms, events, now = tonumber(ARGV[8]) or 0, ARGV[9] or '', ARGV[10]

if resend == '1' and redis.call('HGET', task, 'c') == token then
  return 1
end

local state, message, parked = pending_state(stream, group, task, key)
if not state and not message then
  return 0  -- nothing pending or running (a finished execution's record stays as it is)
end
local kept = false
if record_ms > 0 and (state or message) then
  -- What the record keeps of the execution: its envelope and, if it ran, who ran it and when.
  local _, worker, started = outcome_parts(redis.call('HGET', task, 'o'))
  local outcome = table.concat({now, worker, started, ''}, '\31')
  kept = {'s', 'cancelled', 'o', outcome, 'd', parked or payload_of(stream, message) or ''}
end
local stopped = false
if state == 'queued' then
  redis.call('XDEL', stream, message)
elseif state == 'scheduled' then
  redis.call('ZREM', queue, key)
elseif message and running == 'cancel' then
  local holder = holder_of(task, key)
  if holder then
    local notice = holder .. ' ' .. key
    redis.call('PUBLISH', channel, notice)
    stopped = true
  end
end
redis.call('DEL', task)
if message and not state and not stopped and generated_id(key) then
  -- a generated key has no hash to delete: this one stops its retry (see adopt)
  redis.call('HSET', task, 'c', token)
  redis.call('PEXPIRE', task, tonumber(memory))
end
if state or stopped then
  redis.call('HSET', task, 'c', token)
  local keep = tonumber(memory)
  if kept then
    redis.call('HSET', task, unpack(kept))
    keep = math.max(keep, record_ms)
    local _, worker, started = outcome_parts(kept[4])
    announce(events, followed, key, 'cancelled', false, worker, started, now)
  end
  redis.call('PEXPIRE', task, keep)
  return 1
end
return 0
