-- Admit one delivered execution past its admission markers, all at once (docket._admission):
-- run it, park it until a concurrency slot frees, put it off, or drop it.
-- KEYS: stream, queue, task hash, then two per rule (for a ConcurrencyLimit its holders and
--   its waiting list; for the others their one key, twice)
-- ARGV: group, now_ms (the docket's clock), lease_now_ms (the machine's: leases and
--   reservations), message id, key, token, payload, wake channel, record_ms, then four per
--   rule: kind, amount, span_ms, reason
--   kind 'c' ConcurrencyLimit (amount: max_concurrent, span: the lease), 'r' RateLimit that
--   puts off, 'R' one that drops (amount: limit, span: per), 'd' Debounce (span: settle),
--   'k' Cooldown (span: window); reason: what the log and the record say when it bites.
-- Holders of a concurrency slot are members of its sorted set, scored by when their lease
-- ends: a worker renews them while the run lasts, so the slot of a worker that died frees
-- itself when that lease ends (its message is delivered again then too, and takes it again).
-- Returns {'run'}, {'park', rule}, {'later', due_ms, rule} or {'drop', rule}; only a run
-- takes slots and window places, and only while the task hash still belongs to this token
-- is anything else done (a replaced execution just runs, as a delivered one always did).
local stream, queue, task = KEYS[1], KEYS[2], KEYS[3]
local group, now, lease_now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local id, key, token, payload, wake = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local record_ms = tonumber(ARGV[9])
local rules = (#ARGV - 9) / 4

local verdict, culprit, due = 'run', 0, 0
local debounced_first = false  -- a Debounce rule whose burst this execution now leads
for n = 1, rules do
  local kind, amount, span = ARGV[6 + 4 * n], tonumber(ARGV[7 + 4 * n]), tonumber(ARGV[8 + 4 * n])
  local a = KEYS[2 + 2 * n]
  if kind == 'c' then
    redis.call('ZREMRANGEBYSCORE', a, '-inf', lease_now)
    if not redis.call('ZSCORE', a, token) and redis.call('ZCARD', a) >= amount then
      verdict, culprit = 'park', n
    end
  elseif kind == 'r' or kind == 'R' then
    redis.call('ZREMRANGEBYSCORE', a, '-inf', now - span)
    if redis.call('ZCARD', a) >= amount then
      local oldest = redis.call('ZRANGE', a, 0, 0, 'WITHSCORES')
      due = math.max(tonumber(oldest[2]) + span, now + 1)
      verdict, culprit = (kind == 'R') and 'drop' or 'later', n
    end
  elseif kind == 'd' then
    if redis.call('GET', a) ~= token then
      if redis.call('HGET', task, 'b') == '1' then
        verdict, culprit = 'drop', n  -- a newer call of the burst came after it
      else
        debounced_first = true
        verdict, culprit, due = 'later', n, now + span
      end
    end
  elseif kind == 'k' then
    local holder = redis.call('GET', a)
    if holder and holder ~= token then
      verdict, culprit = 'drop', n
    end
  end
  if verdict ~= 'run' then
    break
  end
end

if verdict == 'run' or redis.call('HGET', task, 'g') ~= token then
  for n = 1, rules do
    local kind, amount, span = ARGV[6 + 4 * n], tonumber(ARGV[7 + 4 * n]), tonumber(ARGV[8 + 4 * n])
    local a = KEYS[2 + 2 * n]
    if kind == 'c' then
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
  return {'run'}
end

redis.call('XACK', stream, group, id)
redis.call('XDEL', stream, id)
if verdict == 'park' then
  -- Parked in the queue at a score no clock reaches (2^52 on), so it stays pending under its
  -- key (cancel and replace find it there) but no scheduler moves it: release.lua does, when
  -- it is the first of its slot's waiting list that is still parked there.
  local waiting = KEYS[3 + 2 * culprit]
  local score = string.format('%.0f', 4503599627370496 + lease_now)  -- exact, not 4.5e+15
  redis.call('RPUSH', waiting, table.concat({token, key, score}, '\31'))
  redis.call('HDEL', task, 'm', 's', 'o')
  redis.call('HSET', task, 'p', payload)
  redis.call('ZADD', queue, score, key)
  return {'park', culprit}
end
if verdict == 'later' then
  put(stream, queue, task, key, token, payload, due, false, wake, false)
  if debounced_first then
    local burst = KEYS[2 + 2 * culprit]
    redis.call('SET', burst, token, 'PX', tonumber(ARGV[8 + 4 * culprit]) * 2 + 1000)
    redis.call('HSET', task, 'b', '1')
  end
  return {'later', due, culprit}
end
-- dropped: recorded as cancelled, with the reason, while records are kept
if record_ms > 0 then
  local reason = ARGV[9 + 4 * culprit]
  redis.call('HDEL', task, 'm')
  local outcome = ARGV[2] .. '\31\31\31' .. reason  -- finished now, why (see docket._record)
  redis.call('HSET', task, 's', 'cancelled', 'o', outcome, 'd', payload)
  redis.call('PEXPIRE', task, record_ms)
else
  redis.call('DEL', task)
end
return {'drop', culprit}
