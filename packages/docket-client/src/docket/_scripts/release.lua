-- Give back the concurrency slots of finished runs, and wake the next parked execution of
-- each slot, first come first served (see admit.lua).
-- KEYS: queue, then two per slot: its holders, its waiting list
-- ARGV: lease_now_ms, wake channel, reserve_ms, then two per slot: token, max_concurrent
-- A waiting entry is "token, key, parked score": the execution is still parked while its key
-- has that score in the queue (a cancel or replace took it out). The first such one is made
-- due now (score 0), its slot kept for it for reserve_ms (it takes it when a worker admits
-- it), and the schedulers are woken; entries of executions gone meanwhile are dropped.
local queue = KEYS[1]
local lease_now, wake, reserve = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local woke = false
for n = 1, (#KEYS - 1) / 2 do
  local holders, waiting = KEYS[2 * n], KEYS[2 * n + 1]
  local token, max = ARGV[2 + 2 * n], tonumber(ARGV[3 + 2 * n])
  redis.call('ZREM', holders, token)
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', lease_now)
  while redis.call('ZCARD', holders) < max do
    local entry = redis.call('LPOP', waiting)
    if not entry then
      break
    end
    local waiter, key, score = string.match(entry, '^([^\31]*)\31(.*)\31([^\31]*)$')
    local parked = redis.call('ZSCORE', queue, key)
    if parked and tonumber(parked) == tonumber(score) then
      redis.call('ZADD', queue, 'XX', 0, key)
      redis.call('ZADD', holders, lease_now + reserve, waiter)
      redis.call('PEXPIRE', holders, reserve * 2)
      woke = true
    end
  end
end
if woke then
  redis.call('PUBLISH', wake, 0)
end
return woke and 1 or 0
