-- Settle a batch of delivered messages in one call: acknowledge, retry or dead-letter each.
-- KEYS: stream, queue, dead-letter stream, then the task hash of each message, in order
-- ARGV: group, now_ms, wake channel, resend, unknown-task grace ms, then 6 values per message:
--   op, message id, key, token, data, when_ms
--   op 'a' ack, 'r' retry (data: the retry's payload, due at when_ms), 'x' dead-letter (data:
--   the reason), 'u' unknown task: offered again at when_ms until the grace counted from the
--   first time a worker could not find the task (field 'u' of the task hash) is over, then
--   dead-lettered with the reason in data.
--   resend: "1" when an earlier send of this batch lost its reply: messages no longer pending
--   were settled by it and are skipped, so no retry is scheduled twice.
-- The task hash is only touched when its token still matches: a replaced or cancelled copy
-- never clobbers its successor. Returns {keys of retries skipped because the key was replaced
-- or cancelled meanwhile, keys of unknown-task messages dead-lettered now}.
local stream, queue, dead = KEYS[1], KEYS[2], KEYS[3]
local group, now, wake, resend = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'
local grace = tonumber(ARGV[5])

local function bury(id, key, reason)
  local payload = payload_of(stream, id) or ''
  redis.call('XADD', dead, '*', 'id', id, 'key', key, 'reason', reason, 'd', payload)
end

local ids, skipped, buried = {}, {}, {}
for i = 6, #ARGV, 6 do
  local n = (i - 6) / 6 + 1
  local op, id, key, token = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local data, when = ARGV[i + 4], tonumber(ARGV[i + 5])
  if not resend or unsettled(stream, group, id) then
    local task = KEYS[3 + n]
    local current = key ~= '' and redis.call('HGET', task, 'g') == token
    if op == 'u' and current then
      local first = tonumber(redis.call('HGET', task, 'u')) or now
      local payload = payload_of(stream, id)
      if now - first < grace and payload then
        put(stream, queue, task, key, token, payload, when, when <= now, wake)
        redis.call('HSET', task, 'u', first)
      else
        bury(id, key, data)
        buried[#buried + 1] = key
        redis.call('DEL', task)
      end
    elseif op == 'r' and current then
      put(stream, queue, task, key, token, data, when, when <= now, wake)
    else
      if op == 'r' or op == 'u' then
        skipped[#skipped + 1] = key
      elseif op == 'x' then
        bury(id, key, data)
      end
      if current then
        redis.call('DEL', task)
      end
    end
    ids[#ids + 1] = id
  end
end
settle(stream, group, ids)
return {skipped, buried}
