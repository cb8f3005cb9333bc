-- Judge one delivered execution of a sharded docket by its admission rules, on the slot of
-- the docket's limits (its `{name}` tag; docket_worker._sharded_admission): the execution
-- lives on its shard's slot, so admit.lua settles it there next, told this verdict.
-- KEYS: three per rule, as admit.lua's
-- ARGV: now_ms, lease_now_ms, token, key, shard, burst_led ('1': a Debounce burst this
--   execution led was put off before), then five per rule, as admit.lua's
-- A run takes what admit.lua's would, and leaves the waiters. A parked execution enters its
-- slot's waiters once (coming back to be judged again keeps its place): a sorted set of
-- "token \31 key \31 shard", scored in order of arrival for a ConcurrencyLimit, by rank and
-- arrival for Fair (as admit.lua's); wake.lua takes them out, lowest first.
-- Returns {'run'}, {'park', rule}, {'later', due_ms, rule, leads_burst} or {'drop', 0, rule, 0}.
local now, lease_now, token, key, shard = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local led = ARGV[6] == '1'
local rules = (#ARGV - 6) / 5
local RANK = 67108864  -- 2^26, as admit.lua's
local entry = table.concat({token, key, shard}, '\31')

local verdict, culprit, due, first = judge(0, 6, rules, now, lease_now, token, function()
  return led
end)

if verdict == 'run' then
  take(0, 6, rules, now, lease_now, token)
  for n = 1, rules do
    local kind = ARGV[2 + 5 * n]
    if kind == 'c' or kind == 'f' then
      redis.call('ZREM', KEYS[3 * n - 1], entry)
    end
  end
  return {'run'}
end
if verdict == 'park' then
  local waiting = KEYS[3 * culprit - 1]
  if not redis.call('ZSCORE', waiting, entry) then
    local ranks = KEYS[3 * culprit]
    local last = redis.call('ZRANGE', waiting, -1, -1, 'WITHSCORES')[2]
    local score = math.max(lease_now, last and tonumber(last) + 1 or 0)  -- after the last
    if ARGV[2 + 5 * culprit] == 'f' then
      local value = ARGV[6 + 5 * culprit]
      local floor = tonumber(redis.call('HGET', ranks, '') or '0')
      local rank = math.max(tonumber(redis.call('HINCRBY', ranks, value, 1)), floor + 1)
      redis.call('HSET', ranks, value, rank)
      redis.call('PEXPIRE', ranks, 86400000)  -- a day: ranks of values long gone fade away
      score = rank * RANK + tonumber(redis.call('HINCRBY', ranks, ' arrivals', 1)) % RANK
    end
    redis.call('ZADD', waiting, score, entry)
  end
  redis.call('PEXPIRE', waiting, 86400000)  -- a day: waiters of executions long gone fade away
  return {'park', culprit}
end
if verdict == 'later' and first then
  redis.call('SET', KEYS[3 * culprit - 2], token, 'PX', tonumber(ARGV[4 + 5 * culprit]) * 2 + 1000)
end
return {verdict, due, culprit, first and 1 or 0}
