-- Add or replace the pending execution of one task key (DESIGN.md invariant 1).
-- KEYS: stream, queue, task hash, followed keys (see prelude.lua's followed_now)
-- ARGV: mode, key, token, when_ms, payload, immediate ("1" or "0"), group, wake channel, resend,
--   running ("cancel": a replace tells a running copy of the key to stop, on the cancel
--   channel; else it finishes), cancel channel, events (the prefix of the channels on which a
--   key's state changes are announced, '' when the docket keeps no execution records)
--   mode: "add", "replace", "new" for an add under a key the client just made up (a random
--   one), which cannot be pending, so nothing needs checking, or "seed": schedule only if the
--   key has no task hash at all (no chain pending, running or just cancelled), which starts
--   an automatic Perpetual or Cron chain once however many workers start at the same time.
--   resend: "1" when an earlier send of this very call lost its reply; the call's token is
--   then looked for, so a call that went through is not done twice.
-- Returns 1 when the execution was scheduled (now or by the earlier send), 0 when `add` found
-- the key already pending.
local stream, queue, task, followed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode, key, token, when = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local payload, immediate, group, wake = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local events = ARGV[12] or ''
local due = immediate == '1'

if ARGV[9] == '1' and redis.call('HGET', task, 'g') == token then
  return 1
end

if mode == 'seed' then
  if redis.call('EXISTS', task) == 1 then
    return 0
  end
  put(stream, queue, task, key, token, payload, when, due, wake, true)
  return 1
end

if mode == 'new' then
  put(stream, queue, task, key, token, payload, when, due, wake, true)
  return 1
end

local state, message = pending_state(stream, group, task, key)

if not state and message and mode == 'replace' and ARGV[10] == 'cancel' then
  local holder = holder_of(task, key)
  if holder then
    local notice = holder .. ' ' .. key
    redis.call('PUBLISH', ARGV[11], notice)
  end
end

if state then
  if mode ~= 'replace' then
    return 0
  end
  if state == 'queued' then
    redis.call('XDEL', stream, message)
  else
    redis.call('ZREM', queue, key)
  end
end

put(stream, queue, task, key, token, payload, when, due, wake, false)
announce(events, followed, key, due and 'queued' or 'scheduled', when)
return 1
