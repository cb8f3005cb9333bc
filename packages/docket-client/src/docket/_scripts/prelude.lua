-- Shared prelude of the scripts that schedule a task key or ask whether it is pending.

-- A task added without a key, due at once, on a docket that keeps no records, is one plain
-- XADD and has no task hash: its key is '~' and the id of its stream entry (docket._generated),
-- and while that entry is there it is the whole of the execution's state. Returns the id a
-- key of that form names, else nil.
local function generated_id(key)
  if key and string.byte(key, 1) == 126 then
    return string.match(key, '^~(%d+%-%d+)$')
  end
  return nil
end

-- When such an execution must outlive its first entry (a retry, a hand-back, a hold, a park),
-- it gets the task hash any other key has: its token is its key. Only the entry that named
-- it does this, and only while the key has no hash (a cancel's or replace's is left alone).
local function adopt(task, key, token, id)
  if token == key and generated_id(key) == id and redis.call('EXISTS', task) == 0 then
    redis.call('HSET', task, 'g', token, 'm', id)
  end
end

-- The payload a fresh entry of `key` carries: for a generated key it is prefixed with 0xC0,
-- the key and a NUL (an envelope never starts with 0xC0), as its envelope names no key and
-- the new entry's id no longer says it.
local function carrying_key(key, payload)
  if generated_id(key) and string.byte(payload, 1) ~= 192 then
    return '\192' .. key .. '\0' .. payload
  end
  return payload
end

-- The token of whoever holds a key's execution: its task hash's, or a generated key itself.
local function holder_of(task, key)
  return redis.call('HGET', task, 'g') or (generated_id(key) and key) or false
end

-- A key is pending while it is parked in the queue ('scheduled'), or in the stream but not yet
-- delivered to a worker ('queued'). A delivered (running) execution is not pending, so it does
-- not block a new execution with its key; nor is a finished one, whose task hash is its record
-- (field 's' says how it ended; its 'm' names a message that is gone). A generated `key`
-- with no hash is pending while its entry is there. Returns state (or false), message id
-- (false once finished), parked payload.
local function pending_state(stream, group, task, key)
  local fields = redis.call('HMGET', task, 'm', 'p', 's')
  local message, parked, recorded = fields[1], fields[2], fields[3]
  if recorded and recorded ~= 'running' then
    return false, false, false
  end
  if not message and not parked then
    local id = generated_id(key)
    if id and #redis.call('XRANGE', stream, id, id) > 0 then
      message = id
    end
  end
  if message then
    local delivered = redis.pcall('XPENDING', stream, group, message, message, 1)
    if type(delivered) ~= 'table' or #delivered == 0 then
      return 'queued', message, parked
    end
    return false, message, parked
  end
  if parked then
    return 'scheduled', message, parked
  end
  return false, message, parked
end

-- Whether a message is still pending (delivered, not acknowledged) in the group: false once
-- it was settled, which tells a re-sent settlement that the first one went through.
local function unsettled(stream, group, id)
  local entry = redis.pcall('XPENDING', stream, group, id, id, 1)
  return type(entry) == 'table' and #entry > 0
end

-- Acknowledge and delete settled messages (the ids of one batch).
local function settle(stream, group, ids)
  if #ids > 0 then
    redis.call('XACK', stream, group, unpack(ids))
    redis.call('XDEL', stream, unpack(ids))
  end
end

-- The payload of a stream entry, or false when the entry is gone or has none.
local function payload_of(stream, id)
  local entry = redis.call('XRANGE', stream, id, id)
  if entry[1] then
    local f = entry[1][2]
    for j = 1, #f, 2 do
      if f[j] == 'd' then return f[j + 1] end
    end
  end
  return false
end

-- Record `payload` as the one pending execution of a task key: straight into the stream when
-- it is due, else parked in the queue (and the schedulers woken if it is now the earliest).
-- `fresh` says the task hash cannot exist (a key made up just now), which saves clearing it.
local function put(stream, queue, task, key, token, payload, when, due, wake, fresh)
  payload = carrying_key(key, payload)
  -- DEL only a hash that exists: a script's first write is where Redis refuses it at
  -- maxmemory, and a DEL of nothing would be that first write and let the rest through.
  if not fresh and redis.call('EXISTS', task) == 1 then
    redis.call('DEL', task)
  end
  if due then
    local id = redis.call('XADD', stream, '*', 'd', payload)
    redis.call('HSET', task, 'g', token, 'm', id)
    return
  end
  redis.call('HSET', task, 'g', token, 'p', payload)
  redis.call('ZADD', queue, when, key)
  local head = redis.call('ZRANGE', queue, 0, 0)
  if head[1] == key then
    redis.call('PUBLISH', wake, when)
  end
end

-- The announcement of a state change: "state", state, when_ms, worker, started_ms,
-- completed_ms, error, joined by the unit separator \31 (docket._events reads it).
local function state_text(state, when, worker, started, completed, err)
  return table.concat({
    'state', state, when or '', worker or '', started or '', completed or '', err or ''
  }, '\31')
end

-- A record's outcome field 'o': completed_ms, worker, started_ms, error joined by \31 (the
-- worker writes it whole; see docket._record). Returns those four, '' where unknown.
local function outcome_parts(outcome)
  if not outcome then
    return '', '', '', ''
  end
  local completed, worker, started, err = string.match(
    outcome, '^([^\31]*)\31([^\31]*)\31([^\31]*)\31(.*)$'
  )
  return completed or '', worker or '', started or '', err or ''
end

-- Announcements only go to keys someone follows: followers (execution.subscribe, get_result)
-- keep the key in the docket's `followed` sorted set while they listen (docket._events), so
-- a docket nobody watches pays one EXISTS per script run instead of a PUBLISH per change.
-- `events` is the channels' prefix, '' when the docket keeps no records (then nothing is
-- announced at all).
local anyone_follows = nil
local function followed_now(events, followed, key)
  if events == '' then
    return false
  end
  if anyone_follows == nil then
    anyone_follows = redis.call('EXISTS', followed) == 1
  end
  return anyone_follows and redis.call('ZSCORE', followed, key) ~= false
end

-- Tell a key's followers that its execution changed: `text` is one announcement or several
-- joined by the record separator \30.
local function announce_text(events, key, text)
  local channel = events .. key
  redis.call('PUBLISH', channel, text)
end

local function announce(events, followed, key, state, when, worker, started, completed, err)
  if followed_now(events, followed, key) then
    announce_text(events, key, state_text(state, when, worker, started, completed, err))
  end
end

-- Wake parked executions of a slot while it has room (see admit.lua and release.lua): first
-- come first served from a ConcurrencyLimit's waiting list ('c'), lowest rank first from a
-- Fair one's sorted set ('f'). A waiting entry is "token, key, parked score": the execution
-- is still parked while its key has that score in the queue (a cancel or replace took it
-- out). It is made due now (score 0) and its slot kept for it for `reserve` ms (it takes it
-- when admitted); entries of executions gone meanwhile are dropped. Returns whether it woke
-- any (then the caller wakes the schedulers).
local function wake_waiters(queue, holders, waiting, ranks, kind, max, lease_now, reserve)
  local woke = false
  while redis.call('ZCARD', holders) < max do
    local entry, rank = false, 0
    if kind == 'f' then
      local popped = redis.call('ZPOPMIN', waiting)
      if popped[1] then
        entry, rank = popped[1], math.floor(tonumber(popped[2]) / 67108864)
      end
    else
      entry = redis.call('LPOP', waiting)
    end
    if not entry then
      break
    end
    local waiter, key, score = string.match(entry, '^([^\31]*)\31(.*)\31([^\31]*)$')
    local parked = redis.call('ZSCORE', queue, key)
    if parked and tonumber(parked) == tonumber(score) then
      redis.call('ZADD', queue, 'XX', 0, key)
      redis.call('ZADD', holders, lease_now + reserve, waiter)
      redis.call('PEXPIRE', holders, reserve * 2)
      if kind == 'f' then
        redis.call('HSET', ranks, '', rank)  -- later waiters rank from here on
        redis.call('PEXPIRE', ranks, 86400000)
      end
      woke = true
    end
  end
  return woke
end

-- Judge an execution's admission rules (admit.lua, gate.lua): the rules' keys are three each
-- from KEYS[k0 + 1], their values five each from ARGV[a0 + 1] (kind, amount, span_ms, reason,
-- value: see admit.lua). `burst_led()` says whether a Debounce burst this execution led was put
-- off before. Returns the verdict ('run', 'park', 'later' or 'drop'), the culprit rule's
-- number, when a 'later' is due, and whether the execution now leads a Debounce burst.
-- Kinds 'P', 'L' and 'X' (park, later, drop) carry a verdict gate.lua reached for a sharded
-- docket: 'P' parks until span_ms, 'L' puts off until span_ms (amount 1: leading a burst).
local function judge(k0, a0, rules, now, lease_now, token, burst_led)
  for n = 1, rules do
    local at = a0 + 5 * (n - 1)
    local kind, amount, span = ARGV[at + 1], tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
    local a = KEYS[k0 + 3 * n - 2]
    if kind == 'c' or kind == 'f' then
      redis.call('ZREMRANGEBYSCORE', a, '-inf', lease_now)
      if not redis.call('ZSCORE', a, token) and (kind == 'f' or redis.call('ZCARD', a) >= amount) then
        return 'park', n, 0, false
      end
    elseif kind == 'r' or kind == 'R' then
      redis.call('ZREMRANGEBYSCORE', a, '-inf', now - span)
      if redis.call('ZCARD', a) >= amount then
        local oldest = redis.call('ZRANGE', a, 0, 0, 'WITHSCORES')
        local due = math.max(tonumber(oldest[2]) + span, now + 1)
        return (kind == 'R') and 'drop' or 'later', n, due, false
      end
    elseif kind == 'd' then
      if redis.call('GET', a) ~= token then
        if burst_led() then
          return 'drop', n, 0, false  -- a newer call of the burst came after it
        end
        return 'later', n, now + span, true
      end
    elseif kind == 'k' then
      local holder = redis.call('GET', a)
      if holder and holder ~= token then
        return 'drop', n, 0, false
      end
    elseif kind == 'P' then
      return 'park', n, span, false
    elseif kind == 'L' then
      return 'later', n, span, amount == 1
    elseif kind == 'X' then
      return 'drop', n, 0, false
    end
  end
  return 'run', 0, 0, false
end

-- Take what an admitted run holds of each of its rules (see judge): its slot of each
-- ConcurrencyLimit and Fair (until its lease ends), its place in each rate window, the end of
-- its Debounce burst, its Cooldown.
local function take(k0, a0, rules, now, lease_now, token)
  for n = 1, rules do
    local at = a0 + 5 * (n - 1)
    local kind, span = ARGV[at + 1], tonumber(ARGV[at + 3])
    local a = KEYS[k0 + 3 * n - 2]
    if kind == 'c' or kind == 'f' then
      redis.call('ZADD', a, lease_now + span, token)
      redis.call('PEXPIRE', a, span * 2)
    elseif kind == 'r' or kind == 'R' then
      local place = token .. ':' .. now  -- one member per run of the window
      redis.call('ZADD', a, now, place)
      redis.call('PEXPIRE', a, span)
    elseif kind == 'd' then
      redis.call('DEL', a)
    elseif kind == 'k' then
      redis.call('SET', a, token, 'PX', span)
    end
  end
end
