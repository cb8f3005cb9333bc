-- Read the record of one task key in one go (Docket.get_execution, Execution.sync).
-- KEYS: stream, task hash
-- ARGV: group, key, then the names of the task hash fields to return
-- Returns false when the key has no execution, else {the fields' values, in order, the
-- envelope wherever it is (parked, in the stream or kept in the record) or false, the state
-- ("scheduled", "queued", "running" or the recorded one) or false, the consumer holding the
-- message or false}. Running is read from the consumer group itself, so it shows even
-- before the worker's note of the start arrives.
local stream, task, group, key = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
if redis.call('EXISTS', task) == 0 then
  local id = generated_id(key)
  if not id then
    return false
  end
  -- no hash: a generated key's entry is its whole state (see prelude.lua's generated_id)
  local entry = redis.call('XRANGE', stream, id, id)
  if not entry[1] then
    return false
  end
  local delivered = redis.pcall('XPENDING', stream, group, id, id, 1)
  local values = {}
  for i = 3, #ARGV do
    values[#values + 1] = false
  end
  local holder = type(delivered) == 'table' and delivered[1] and delivered[1][2] or false
  return {values, payload_of(stream, id), holder and 'running' or 'queued', holder}
end
local names = {}
for i = 3, #ARGV do
  names[#names + 1] = ARGV[i]
end
local values = redis.call('HMGET', task, unpack(names))
local fields = redis.call('HMGET', task, 'p', 'm', 's', 'd')
local parked, message, state, kept = fields[1], fields[2], fields[3], fields[4]
local envelope, holder = kept, false
if state and state ~= 'running' then
  -- finished: its record says how; its 'm' names a message that is gone
elseif parked then
  state, envelope = 'scheduled', parked
elseif message then
  envelope = payload_of(stream, message)
  local entry = redis.pcall('XPENDING', stream, group, message, message, 1)
  if type(entry) == 'table' and #entry > 0 then
    state, holder = 'running', entry[1][2]
  else
    state = 'queued'
  end
end
return {values, envelope or false, state or false, holder}
