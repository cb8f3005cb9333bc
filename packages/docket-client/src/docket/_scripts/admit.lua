-- Admit one delivered execution past its admission markers, all at once (docket._admission):
-- run it, park it until a slot frees, put it off, or drop it.
-- KEYS: stream, queue, task hash, then three per rule: for a ConcurrencyLimit its holders,
--   its waiting list and its holders again; for Fair its holders, its waiting sorted set and
--   its ranks hash; for the others their one key, three times
-- ARGV: group, now_ms (the docket's clock), lease_now_ms (the machine's: leases and
--   reservations), message id, key, token, payload, wake channel, record_ms, then five per
--   rule: kind, amount, span_ms, reason, value
--   kind 'c' ConcurrencyLimit (amount: max_concurrent, span: the lease), 'f' Fair (amount:
--   in_flight, span: the lease, value: the argument's value), 'r' RateLimit that puts off,
--   'R' one that drops (amount: limit, span: per), 'd' Debounce (span: settle), 'k' Cooldown
--   (span: window); reason: what the log and the record say when it bites. On a sharded
--   docket, gate.lua judges the rules and this script is told its verdict as one rule of
--   kind 'P' (park until span), 'L' (put off until span) or 'X' (drop): see prelude's judge.
-- Holders of a slot are members of its sorted set, scored by when their lease ends: a worker
-- renews them while the run lasts, so the slot of a worker that died frees itself when that
-- lease ends (its message is delivered again then too, and takes it again).
-- A Fair execution that holds no slot yet always waits its turn: it is parked, scored by
-- its rank within its value (its how-manieth waiter, never below the rank last woken) and
-- then by arrival, and the lowest scores are woken while there is room, here and when runs
-- end (release.lua). So the values take turns: one with 10,000 waiters does not hold back
-- one with 10, and the stream is passed through quickly to reach the latter.
-- Returns {'run'}, {'park', rule}, {'later', due_ms, rule} or {'drop', rule}; only a run
-- takes slots and window places, and only while the task hash still belongs to this token
-- is anything else done (a replaced execution just runs, as a delivered one always did).
local stream, queue, task = KEYS[1], KEYS[2], KEYS[3]
local group, now, lease_now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local id, key, token, payload, wake = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local record_ms = tonumber(ARGV[9])
local rules = (#ARGV - 9) / 5
local RANK = 67108864  -- 2^26: a fair waiter's score is rank * RANK + arrival

local verdict, culprit, due, debounced_first = judge(3, 9, rules, now, lease_now, token, function()
  return redis.call('HGET', task, 'b') == '1'
end)

if verdict ~= 'run' then
  adopt(task, key, token, id)
end
if verdict == 'run' or redis.call('HGET', task, 'g') ~= token then
  take(3, 9, rules, now, lease_now, token)
  return {'run'}
end

redis.call('XACK', stream, group, id)
redis.call('XDEL', stream, id)
if verdict == 'park' then
  local kind = ARGV[5 + 5 * culprit]
  local score
  if kind == 'P' then
    -- A sharded docket's: gate.lua keeps its place among the waiters, and wake.lua has it
    -- made due. Its score past 2^52 says when it comes back anyway, should that wake be
    -- lost (recheck.lua).
    score = string.format('%.0f', 4503599627370496 + due)
  else
    -- Parked in the queue at a score no clock reaches (2^52 on), so it stays pending under
    -- its key (cancel and replace find it there) but no scheduler moves it: release.lua
    -- does, when it comes first among its slot's waiters that are still parked there.
    score = string.format('%.0f', 4503599627370496 + lease_now)  -- exact, not 4.5e+15
    local waiting = KEYS[2 + 3 * culprit]
    local entry = table.concat({token, key, score}, '\31')
    if kind == 'f' then
      local ranks, value = KEYS[3 + 3 * culprit], ARGV[9 + 5 * culprit]
      local floor = tonumber(redis.call('HGET', ranks, '') or '0')
      local rank = math.max(tonumber(redis.call('HINCRBY', ranks, value, 1)), floor + 1)
      redis.call('HSET', ranks, value, rank)
      redis.call('PEXPIRE', ranks, 86400000)  -- a day: ranks of values long gone fade away
      local arrival = tonumber(redis.call('HINCRBY', ranks, ' arrivals', 1)) % RANK
      redis.call('ZADD', waiting, rank * RANK + arrival, entry)
    else
      redis.call('RPUSH', waiting, entry)
    end
  end
  redis.call('HDEL', task, 'm', 's', 'o')
  redis.call('HSET', task, 'p', carrying_key(key, payload))
  redis.call('ZADD', queue, score, key)
  if kind == 'f' then
    local most, lease = tonumber(ARGV[6 + 5 * culprit]), tonumber(ARGV[7 + 5 * culprit])
    local holders, waiting, ranks = KEYS[1 + 3 * culprit], KEYS[2 + 3 * culprit], KEYS[3 + 3 * culprit]
    if wake_waiters(queue, holders, waiting, ranks, 'f', most, lease_now, lease) then
      redis.call('PUBLISH', wake, 0)
    end
  end
  return {'park', culprit}
end
if verdict == 'later' then
  put(stream, queue, task, key, token, payload, due, false, wake, false)
  if debounced_first then
    if ARGV[5 + 5 * culprit] == 'd' then  -- else gate.lua set the burst's leader
      local burst = KEYS[1 + 3 * culprit]
      redis.call('SET', burst, token, 'PX', tonumber(ARGV[7 + 5 * culprit]) * 2 + 1000)
    end
    redis.call('HSET', task, 'b', '1')
  end
  return {'later', due, culprit}
end
-- dropped: recorded as cancelled, with the reason, while records are kept
if record_ms > 0 then
  local outcome = ARGV[2] .. '\31\31\31' .. ARGV[8 + 5 * culprit]  -- finished now, and why
  redis.call('HDEL', task, 'm')
  redis.call('HSET', task, 's', 'cancelled', 'o', outcome, 'd', payload)
  redis.call('PEXPIRE', task, record_ms)
else
  redis.call('DEL', task)
end
return {'drop', culprit}
