-- Cancel the pending execution of one task key. A copy that is already running finishes,
-- but its acknowledgement will not touch the key any more.
-- KEYS: stream, queue, task hash
-- ARGV: key, group
-- Returns 1 when a pending execution was removed, 0 otherwise.
local stream, queue, task = KEYS[1], KEYS[2], KEYS[3]
local key, group = ARGV[1], ARGV[2]

local fields = redis.call('HMGET', task, 'm', 'p')
local message, parked = fields[1], fields[2]
local cancelled = 0
if message then
  local delivered = redis.pcall('XPENDING', stream, group, message, message, 1)
  if type(delivered) ~= 'table' or #delivered == 0 then
    redis.call('XDEL', stream, message)
    cancelled = 1
  end
elseif parked then
  redis.call('ZREM', queue, key)
  cancelled = 1
end
redis.call('DEL', task)
return cancelled
