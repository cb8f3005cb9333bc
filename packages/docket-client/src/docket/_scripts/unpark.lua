-- Make due the waiters wake.lua took for one shard of a sharded docket, on that shard's slot.
-- KEYS: queue, then the task hash of each waiter
-- ARGV: wake channel, then key and token of each waiter
-- Returns one number per waiter: 1 made due; 2 not parked but still on its way (parking, or
-- in the stream: admitted again, it finds the slot kept for it); 0 gone (cancelled,
-- replaced or finished: the caller gives its slot back).
local queue, wake = KEYS[1], ARGV[1]
local found, woke = {}, false
for i = 2, #KEYS do
  local key, token = ARGV[2 * i - 2], ARGV[2 * i - 1]
  local fields = redis.call('HMGET', KEYS[i], 'g', 'm', 's')
  local state = 0
  if fields[1] == token then
    if redis.call('ZSCORE', queue, key) then
      redis.call('ZADD', queue, 'XX', 0, key)
      state, woke = 1, true
    elseif fields[2] and (not fields[3] or fields[3] == 'running') then
      state = 2
    end
  end
  found[#found + 1] = state
end
if woke then
  redis.call('PUBLISH', wake, 0)
end
return found
