-- Write the progress of running executions: each worker batches its tasks' progress into one
-- call every few tens of milliseconds (docket_worker._progress).
-- KEYS: the task hash of each execution
-- ARGV: now_ms, events (channel prefix), then 5 per execution: key, token, current ('' when
--   never counted), total, message ('' for none)
-- Only an execution whose token still holds its key is written; each write is announced on
-- the key's channel as "progress", current, total, updated_ms, message joined by \31.
local now, events = ARGV[1], ARGV[2]
for i = 3, #ARGV, 5 do
  local task = KEYS[(i - 3) / 5 + 1]
  local key, token, current, total, message = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3],
    ARGV[i + 4]
  if redis.call('HGET', task, 'g') == token then
    redis.call('HSET', task, 'pt', total, 'pu', now)
    if current ~= '' then
      redis.call('HSET', task, 'pc', current)
    end
    if message ~= '' then
      redis.call('HSET', task, 'pm', message)
    end
    local text = table.concat({'progress', current, total, now, message}, '\31')
    local channel = events .. key
    redis.call('PUBLISH', channel, text)
  end
end
return 0
