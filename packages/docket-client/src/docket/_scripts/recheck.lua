-- Make due the parked executions of one shard of a sharded docket whose wake is overdue
-- (admit.lua parks them at 2^52 plus when they come back anyway): admitted again, each runs
-- or keeps its place among its slot's waiters (gate.lua).
-- KEYS: queue
-- ARGV: wake channel, now_ms (the docket's clock), most to move
-- Returns how many it made due.
local queue, wake = KEYS[1], ARGV[1]
local bound = string.format('%.0f', 4503599627370496 + tonumber(ARGV[2]))
local keys = redis.call('ZRANGEBYSCORE', queue, '4503599627370496', bound, 'LIMIT', 0, tonumber(ARGV[3]))
for _, key in ipairs(keys) do
  redis.call('ZADD', queue, 'XX', 0, key)
end
if #keys > 0 then
  redis.call('PUBLISH', wake, 0)
end
return #keys
