-- Remove pending work that no worker runs: stream entries not delivered to any worker
-- (queued), parked executions (scheduled), and executions held by a strike. Running ones
-- (delivered, not yet settled) stay, and so do their task hashes. Docket.clear sends the
-- docket's work in bounded batches (docket._clear), so no call blocks Redis for long.
-- KEYS: stream, queue, held set, then one task hash per entry, in order (the stream's name
--   stands in for an entry whose key is unknown: its envelope did not decode)
-- ARGV: group, then 3 values per entry: kind ('s' a stream entry, 'q' parked in the queue,
--   'h' held), task key ('' when unknown), stream message id ('' unless 's')
-- Each entry is checked again here, as a worker or client may have changed it since it was
-- read. A task hash goes only while it still names that entry, so a running copy's
-- successor, or a newer add of the key, is never touched. No record is kept of what goes.
-- Returns how many executions were removed.
local stream, queue, held = KEYS[1], KEYS[2], KEYS[3]
local group = ARGV[1]

local removed = 0
for i = 2, #ARGV, 3 do
  local task = KEYS[3 + (i - 2) / 3 + 1]
  local kind, key, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if kind == 's' then
    local delivered = redis.pcall('XPENDING', stream, group, id, id, 1)
    local taken = type(delivered) == 'table' and #delivered > 0
    if not taken and redis.call('XDEL', stream, id) == 1 then
      removed = removed + 1
      if key ~= '' and redis.call('HGET', task, 'm') == id then
        redis.call('DEL', task)
      end
    end
  elseif kind == 'q' then
    if redis.call('ZREM', queue, key) == 1 then
      removed = removed + 1
      local fields = redis.call('HMGET', task, 'p', 'h')
      if fields[1] and not fields[2] then
        redis.call('DEL', task)
      end
    end
  elseif redis.call('ZREM', held, key) == 1 and redis.call('HEXISTS', task, 'h') == 1 then
    removed = removed + 1
    redis.call('DEL', task)
  end
end
return removed
