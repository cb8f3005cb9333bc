-- Put held executions back on the stream, due now (a restore; docket._strike_follow).
-- KEYS: stream, held set, then the task hash of each candidate, in order, then the followed
--   keys (see prelude.lua's followed_now)
-- ARGV: events (channel prefix for state announcements, '' for none), then the candidates'
--   task keys (read from the held set just before)
-- A candidate whose task hash is no longer held (cancelled or replaced since: no 'h') only
-- leaves the held set. The workers check the strikes again when they take the messages, and
-- hold again what is still struck.
-- Returns the number of executions put back.
local stream, held, followed = KEYS[1], KEYS[2], KEYS[#KEYS]
local events = ARGV[1]

local released = 0
for i = 2, #ARGV do
  local key, task = ARGV[i], KEYS[i + 1]
  if redis.call('ZREM', held, key) == 1 then
    local fields = redis.call('HMGET', task, 'h', 'p')
    if fields[1] and fields[2] then
      redis.call('HDEL', task, 'h', 'p')
      local id = redis.call('XADD', stream, '*', 'd', fields[2])
      redis.call('HSET', task, 'm', id)
      announce(events, followed, key, 'queued', false)
      released = released + 1
    end
  end
end
return released
