-- Move up to `limit` executions that are due by `now_ms` from the queue into the stream.
-- KEYS: stream, queue
-- ARGV: now_ms, limit, task prefix
-- Returns {moved, score of the earliest execution still parked or false}.
local stream, queue = KEYS[1], KEYS[2]
local now, limit, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local due = redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'LIMIT', 0, limit)
for _, key in ipairs(due) do
  local task = prefix .. key
  local payload = redis.call('HGET', task, 'p')
  if payload then
    local id = redis.call('XADD', stream, '*', 'd', payload)
    redis.call('HSET', task, 'm', id)
    redis.call('HDEL', task, 'p')
  end
end
if #due > 0 then
  redis.call('ZREMRANGEBYRANK', queue, 0, #due - 1)
end
local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
return {#due, head[2] or false}
