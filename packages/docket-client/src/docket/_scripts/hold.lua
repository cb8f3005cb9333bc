-- Hold struck executions a worker took: park each one's payload in its task hash, as a
-- scheduled one's is (so its key stays pending and unique, and cancel and replace work on
-- it), list it in the held set, and settle its message (docket_worker._strikes).
-- KEYS: stream, held set, strikes hash, then the task hash of each entry, in order, then the
--   followed keys (see prelude.lua's followed_now)
-- ARGV: group, now_ms, events (channel prefix for state announcements, '' for none), then 4
--   values per entry: message id, key, token, id of the strike it matched
-- A task hash held has 'p' (the payload) and 'h' (when it was held) and no 'm'; unhold.lua
-- puts it back. A strike lifted since the worker looked (its notice had not reached the
-- worker yet) holds nothing: the message goes back on the stream as a fresh entry, as a
-- hand-back does. A copy whose key no longer names it (replaced or cancelled meanwhile) is
-- settled without running, its successor left alone. Safe to send twice: a message no
-- longer pending is skipped.
-- Returns one number per entry: 1 held, 2 put back on the stream (strike lifted), 0 settled
-- without either (a stale copy, an entry gone), -1 skipped (settled already).
local stream, held, strikes, followed = KEYS[1], KEYS[2], KEYS[3], KEYS[#KEYS]
local group, now, events = ARGV[1], ARGV[2], ARGV[3]

local ids, outcomes = {}, {}
for i = 4, #ARGV, 4 do
  local n = (i - 4) / 4 + 1
  local id, key, token, strike = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local outcome = -1
  if unsettled(stream, group, id) then
    local task = KEYS[3 + n]
    adopt(task, key, token, id)
    local fields = redis.call('HMGET', task, 'g', 'm')
    local current = fields[1] == token and fields[2] == id
    local payload = payload_of(stream, id)
    outcome = 0
    if payload and redis.call('HEXISTS', strikes, strike) == 0 then
      local fresh = redis.call('XADD', stream, '*', 'd', carrying_key(key, payload))
      if current then
        redis.call('HSET', task, 'm', fresh)
        redis.call('HDEL', task, 's')  -- queued again, not running
      end
      outcome = 2
    elseif payload and current then
      -- A removal first: at maxmemory Redis refuses a script at its first write only if
      -- that write may grow memory, and holding must not stall then.
      redis.call('HDEL', task, 'm', 's')
      redis.call('HSET', task, 'p', carrying_key(key, payload), 'h', now)
      redis.call('ZADD', held, now, key)
      announce(events, followed, key, 'scheduled', false)
      outcome = 1
    end
    ids[#ids + 1] = id
  end
  outcomes[#outcomes + 1] = outcome
end
settle(stream, group, ids)
return outcomes
