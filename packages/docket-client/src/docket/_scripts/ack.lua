-- Settle a batch of delivered messages in one call: acknowledge, retry or dead-letter each.
-- KEYS: stream, queue, dead-letter stream
-- ARGV: group, task prefix, now_ms, wake channel, then 6 values per message:
--   op ('a' ack, 'r' retry, 'x' dead-letter), message id, key, token, data, when_ms
--   data is the retry's payload, or the dead-letter reason.
-- The task hash is only touched when its token still matches: a replaced or cancelled copy
-- never clobbers its successor. Returns the keys of retries skipped because the key was
-- replaced or cancelled meanwhile.
local stream, queue, dead = KEYS[1], KEYS[2], KEYS[3]
local group, prefix, now, wake = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]

local ids, skipped = {}, {}
for i = 5, #ARGV, 6 do
  local op, id, key, token = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local data, when = ARGV[i + 4], tonumber(ARGV[i + 5])
  local task = prefix .. key
  local current = false
  if key ~= '' then
    current = redis.call('HGET', task, 'g') == token
  end
  if op == 'r' and current then
    put(stream, queue, task, key, token, data, when, when <= now, wake)
  else
    if op == 'r' then
      skipped[#skipped + 1] = key
    elseif op == 'x' then
      local entry = redis.call('XRANGE', stream, id, id)
      local payload = ''
      if entry[1] then
        local f = entry[1][2]
        for j = 1, #f, 2 do
          if f[j] == 'd' then payload = f[j + 1] end
        end
      end
      redis.call('XADD', dead, '*', 'id', id, 'key', key, 'reason', data, 'd', payload)
    end
    if current then
      redis.call('DEL', task)
    end
  end
  ids[#ids + 1] = id
end
if #ids > 0 then
  redis.call('XACK', stream, group, unpack(ids))
  redis.call('XDEL', stream, unpack(ids))
end
return skipped
