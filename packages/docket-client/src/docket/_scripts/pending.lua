-- Shared prelude of the scripts that need to know whether a task key is pending.
-- A key is pending while it is parked in the queue ('scheduled'), or in the stream but not yet
-- delivered to a worker ('queued'). A delivered (running) execution is not pending, so it does
-- not block a new execution with its key. Returns state (or false), message id, parked payload.
local function pending_state(stream, group, task)
  local fields = redis.call('HMGET', task, 'm', 'p')
  local message, parked = fields[1], fields[2]
  if message then
    local delivered = redis.pcall('XPENDING', stream, group, message, message, 1)
    if type(delivered) ~= 'table' or #delivered == 0 then
      return 'queued', message, parked
    end
    return false, message, parked
  end
  if parked then
    return 'scheduled', message, parked
  end
  return false, message, parked
end
