-- Move executions that fell due from the queue into the stream.
-- KEYS: stream, queue, then the task hash of each candidate, in order, then the followed keys
-- ARGV: now_ms, events (channel prefix for state announcements, '' for none), then the
--   candidates' task keys (read just before with ZRANGEBYSCORE; each is
--   checked again here, as a client may have replaced or cancelled it since)
-- The first write is a removal, so Redis at maxmemory still lets the move happen (a parked
-- payload becomes a stream entry: the docket keeps draining instead of stalling).
-- Returns {moved, score of the earliest execution still parked or false}.
local stream, queue, followed = KEYS[1], KEYS[2], KEYS[#KEYS]
local now, events = tonumber(ARGV[1]), ARGV[2]

local moved = 0
for i = 3, #ARGV do
  local key, task = ARGV[i], KEYS[i]
  local score = redis.call('ZSCORE', queue, key)
  if score and tonumber(score) <= now then
    redis.call('ZREM', queue, key)
    local payload = redis.call('HGET', task, 'p')
    if payload then
      redis.call('HDEL', task, 'p')
      local id = redis.call('XADD', stream, '*', 'd', payload)
      redis.call('HSET', task, 'm', id)
      announce(events, followed, key, 'queued', score)
    end
    moved = moved + 1
  end
end
local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
return {moved, head[2] or false}
