-- Give back the slots of finished runs, and wake the next parked executions of each slot
-- (see admit.lua and prelude.lua's wake_waiters).
-- KEYS: queue, then three per slot: its holders, its waiting list (a sorted set for Fair),
--   its ranks hash (Fair; else the holders again)
-- ARGV: lease_now_ms, wake channel, reserve_ms, then three per slot: kind ('c' or 'f'),
--   token, max (max_concurrent or in_flight)
local queue = KEYS[1]
local lease_now, wake, reserve = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local woke = false
for n = 1, (#KEYS - 1) / 3 do
  local holders, waiting, ranks = KEYS[3 * n - 1], KEYS[3 * n], KEYS[3 * n + 1]
  local kind, token, max = ARGV[1 + 3 * n], ARGV[2 + 3 * n], tonumber(ARGV[3 + 3 * n])
  redis.call('ZREM', holders, token)
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', lease_now)
  if wake_waiters(queue, holders, waiting, ranks, kind, max, lease_now, reserve) then
    woke = true
  end
end
if woke then
  redis.call('PUBLISH', wake, 0)
end
return woke and 1 or 0
