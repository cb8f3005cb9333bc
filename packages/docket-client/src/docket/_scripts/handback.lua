-- Hand messages back from a stopping worker: each becomes a fresh stream entry with the same
-- payload (key, token and attempt), so any worker's next read runs it at once.
-- KEYS: stream, then the task hash of each message, in order
-- ARGV: group, then 3 values per message: message id, key, token
-- The task hash follows the message only while its token matches: a copy whose key was
-- replaced or cancelled meanwhile still runs again, but its successor stays the key's pending
-- execution. Safe to send twice: a message no longer pending is skipped.
-- Returns the number of messages put back on the stream.
local stream, group = KEYS[1], ARGV[1]

local ids, requeued = {}, 0
for i = 2, #ARGV, 3 do
  local n = (i - 2) / 3 + 1
  local id, token = ARGV[i], ARGV[i + 2]
  if unsettled(stream, group, id) then
    local task = KEYS[1 + n]
    local payload = payload_of(stream, id)
    if payload then
      adopt(task, ARGV[i + 1], token, id)
      local fresh = redis.call('XADD', stream, '*', 'd', carrying_key(ARGV[i + 1], payload))
      if redis.call('HGET', task, 'g') == token then
        redis.call('HSET', task, 'm', fresh)
        redis.call('HDEL', task, 's', 'o')  -- queued again, no longer running
      end
      requeued = requeued + 1
    end
    ids[#ids + 1] = id
  end
end
settle(stream, group, ids)
return requeued
