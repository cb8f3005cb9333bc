-- Give back the slots of a sharded docket's finished runs, and take their next waiters
-- (gate.lua), on the slot of the docket's limits: each waiter taken has its slot kept for it
-- for reserve_ms, and its shard's unpark.lua then makes it due (docket_worker._sharded_admission).
-- KEYS: three per slot: its holders, its waiters, its ranks hash (Fair; else the holders again)
-- ARGV: lease_now_ms, reserve_ms, then three per slot: kind ('c' or 'f'), the token that gives
--   it back ('' for none), max (max_concurrent or in_flight)
-- Returns the waiters taken, each entry followed by its slot's number.
local lease_now, reserve = tonumber(ARGV[1]), tonumber(ARGV[2])
local taken = {}
for n = 1, #KEYS / 3 do
  local holders, waiting, ranks = KEYS[3 * n - 2], KEYS[3 * n - 1], KEYS[3 * n]
  local kind, token, max = ARGV[3 * n], ARGV[3 * n + 1], tonumber(ARGV[3 * n + 2])
  if token ~= '' then
    redis.call('ZREM', holders, token)
  end
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', lease_now)
  while redis.call('ZCARD', holders) < max do
    local popped = redis.call('ZPOPMIN', waiting)
    if not popped[1] then
      break
    end
    redis.call('ZADD', holders, lease_now + reserve, string.match(popped[1], '^([^\31]*)'))
    redis.call('PEXPIRE', holders, reserve * 2)
    if kind == 'f' then
      redis.call('HSET', ranks, '', math.floor(tonumber(popped[2]) / 67108864))
      redis.call('PEXPIRE', ranks, 86400000)
    end
    taken[#taken + 1] = popped[1]
    taken[#taken + 1] = n
  end
end
return taken
