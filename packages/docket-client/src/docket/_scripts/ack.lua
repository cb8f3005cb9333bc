-- Settle a batch of delivered messages in one call: acknowledge, retry or dead-letter each,
-- and (when the docket keeps execution records) note which started running.
-- KEYS: stream, queue, dead-letter stream, then the task hash of each entry, in order, then
--   the followed keys (see prelude.lua's followed_now)
-- ARGV: group, now_ms, wake channel, resend, unknown-task grace ms, record_ms (execution_ttl;
--   0 keeps no records), worker name, events (channel prefix for state announcements), then
--   per entry 6 values (8 when record_ms > 0): op, message id, key, token, data, when_ms[,
--   extra, envelope]
--   extra: with records, the record's outcome field 'o' (completed_ms, worker, started_ms,
--   error; see docket._record), written by the worker; for 's' the worker and start only.
--   op 'a' ack: the run is over (with records: completed, data its pickled result or '');
--   'A' the same, its result put in the docket's result_storage;
--   'f' failed for good (data the pickled exception; without records the same as 'a');
--   'F' the same, the exception put in result_storage;
--   'r' retry (data: the retry's payload, due at when_ms; extra holds the last error);
--   'x' dead-letter (data: the reason);
--   'u' unknown task: offered again at when_ms until the grace counted from the first time a
--   worker could not find the task (field 'u' of the task hash) is over, then dead-lettered
--   with the reason in data;
--   's' started (only with records; when_ms is the start): the execution is running on this
--   worker. It settles nothing: the message stays pending. A run that ends before its start
--   note was sent has none: its a/A/f/F entry carries the start in when_ms instead.
--   envelope (records only): the message's payload, for the record, so it is not read back
--   from the stream ('' when the worker has none: then it is).
--   resend: "1" when an earlier send of this batch lost its reply: messages no longer pending
--   were settled by it and are skipped, so no retry is scheduled twice.
-- The task hash is only touched when its token still matches: a replaced or cancelled copy
-- never clobbers its successor. A finished execution's task hash becomes its record (see
-- docket._record) and expires after record_ms; without records it is deleted.
-- Returns {keys of retries skipped because the key was replaced or cancelled meanwhile, keys
-- of unknown-task messages dead-lettered now, keys whose result went to result_storage but
-- whose execution was replaced or cancelled meanwhile (nothing refers to that result)}.
local stream, queue, dead, followed = KEYS[1], KEYS[2], KEYS[3], KEYS[#KEYS]
local group, now, wake, resend = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'
local now_text = ARGV[2]
local grace, record_ms, worker, events = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8]
local keeping = record_ms > 0
local width = keeping and 8 or 6

local function bury(id, key, reason)
  local payload = payload_of(stream, id) or ''
  redis.call('XADD', dead, '*', 'id', id, 'key', key, 'reason', reason, 'd', payload)
end

-- Turn the task hash of a finished execution into its record: how it ended, its outcome
-- (from the worker, or `err` for a dead letter), its envelope (the stream entry is about to
-- go), its result or exception; expiring. `started` is not '0' when the run's start note was
-- folded into this settlement: then its followers hear of both.
local cleared = false
local function record(task, id, key, state, stored, external, outcome, started, envelope)
  if envelope == '' then
    envelope = payload_of(stream, id)
  end
  if not cleared then
    -- A removal first, as a plain ack's DEL is: Redis refuses a script at maxmemory at its
    -- first write only if that write may grow memory, and finished work must settle then.
    redis.call('HDEL', task, 'u')
    cleared = true
  end
  -- Its 'm' stays: with 's' set to how it ended, the hash no longer counts as pending.
  if external then
    redis.call('HSET', task, 's', state, 'o', outcome, 'd', envelope or '', 'x', '1')
  elseif stored ~= '' then
    redis.call('HSET', task, 's', state, 'o', outcome, 'd', envelope or '', 'r', stored)
  else
    redis.call('HSET', task, 's', state, 'o', outcome, 'd', envelope or '')
  end
  redis.call('PEXPIRE', task, record_ms)
  if followed_now(events, followed, key) then
    local completed, by, from, err = outcome_parts(outcome)
    local text = state_text(state, false, by, from, completed, err)
    if started ~= '0' then
      text = state_text('running', false, by, from) .. '\30' .. text
    end
    announce_text(events, key, text)
  end
end

-- The outcome of a dead letter, which no worker ran to its end.
local function dead_outcome(reason)
  return now_text .. '\31\31\31' .. reason
end

local ids, skipped, buried, orphaned = {}, {}, {}, {}
for i = 9, #ARGV, width do
  local n = (i - 9) / width + 1
  local op, id, key, token = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local data, when = ARGV[i + 4], tonumber(ARGV[i + 5])
  local extra = keeping and ARGV[i + 6] or ''
  local envelope = keeping and ARGV[i + 7] or ''
  if not resend or unsettled(stream, group, id) then
    local task = KEYS[3 + n]
    if op == 'r' or op == 'u' then
      adopt(task, key, token, id)
    end
    local current = key ~= '' and redis.call('HGET', task, 'g') == token
    if op == 's' then
      -- Only while this very message is the key's and runs: a note that comes late (held
      -- back while Redis was full) must not mark a finished or handed-back execution running.
      local seen = current and redis.call('HMGET', task, 'm', 's')
      if current and seen[1] == id and not seen[2] then
        redis.call('HSET', task, 's', 'running', 'o', extra)
        announce(events, followed, key, 'running', false, worker, ARGV[i + 5])
      end
    elseif op == 'u' and current then
      local first = tonumber(redis.call('HGET', task, 'u')) or now
      local payload = payload_of(stream, id)
      if now - first < grace and payload then
        put(stream, queue, task, key, token, payload, when, when <= now, wake)
        redis.call('HSET', task, 'u', first)
      else
        bury(id, key, data)
        buried[#buried + 1] = key
        if keeping then
          record(task, id, key, 'failed', '', false, dead_outcome(data), '0', envelope)
        else
          redis.call('DEL', task)
        end
      end
    elseif op == 'r' and current then
      put(stream, queue, task, key, token, data, when, when <= now, wake)
      if extra ~= '' then
        redis.call('HSET', task, 'o', extra)
      end
      if followed_now(events, followed, key) then
        local _, _, _, err = outcome_parts(extra ~= '' and extra)
        local state = when <= now and 'queued' or 'scheduled'
        announce_text(events, key, state_text(state, when, false, false, false, err))
      end
    else
      if op == 'r' or op == 'u' then
        skipped[#skipped + 1] = key
      elseif op == 'x' then
        bury(id, key, data)
      end
      if current and keeping then
        if op == 'x' then
          record(task, id, key, 'failed', '', false, dead_outcome(data), '0', envelope)
        elseif op == 'f' or op == 'F' then
          record(task, id, key, 'failed', data, op == 'F', extra, ARGV[i + 5], envelope)
        else
          record(task, id, key, 'completed', data, op == 'A', extra, ARGV[i + 5], envelope)
        end
      elseif current then
        redis.call('DEL', task)
      elseif op == 'A' or op == 'F' then
        orphaned[#orphaned + 1] = key
      end
    end
    if op ~= 's' then
      ids[#ids + 1] = id
    end
  end
end
settle(stream, group, ids)
return {skipped, buried, orphaned}
