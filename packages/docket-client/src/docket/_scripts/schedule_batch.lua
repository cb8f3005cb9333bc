-- Schedule a whole batch of calls in one script run: all of them or none (add_many and
-- replace_many with atomic=True). A script run is atomic: no other command runs in between,
-- and once it has written, Redis lets it finish even past maxmemory, so an out-of-memory
-- refusal comes before the first write or not at all.
-- KEYS: stream, queue, then the task hash of each call, in order, then the followed keys
-- ARGV: mode ("add" or "replace"), group, wake channel, resend ("1" or "0"), events (channel
--   prefix for state announcements, '' for none, see schedule.lua), then six per call:
--   key, token, when_ms, payload, immediate ("1" or "0"), new ("1" when the client made the
--   key up just now, so it cannot be pending)
-- Each call follows schedule.lua's key rules, in order (a key twice in one batch of adds:
-- the first is scheduled). Returns a 1 (scheduled) or 0 (key already pending) per call.
local stream, queue, followed = KEYS[1], KEYS[2], KEYS[#KEYS]
local mode, group, wake, resend, events = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local calls = #KEYS - 3
local results = {}

-- A re-send after a lost reply: if any call's token is recorded, the first send went through
-- (all of it, being one script run), so report that instead of scheduling again.
if resend == '1' then
  local went_through = false
  for i = 1, calls do
    local task = KEYS[i + 2]
    local mine = redis.call('HGET', task, 'g') == ARGV[5 + (i - 1) * 6 + 2]
    results[i] = mine and 1 or 0
    went_through = went_through or mine
  end
  if went_through then
    return results
  end
end

for i = 1, calls do
  local task = KEYS[i + 2]
  local at = 5 + (i - 1) * 6
  local key, token, when, payload = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  local due, new = ARGV[at + 5] == '1', ARGV[at + 6] == '1'
  local state, message = false, false
  if not new then
    state, message = pending_state(stream, group, task, key)
  end
  if state and mode ~= 'replace' then
    results[i] = 0
  else
    if state == 'queued' then
      redis.call('XDEL', stream, message)
    elseif state == 'scheduled' then
      redis.call('ZREM', queue, key)
    end
    put(stream, queue, task, key, token, payload, when, due, wake, new)
    if not new then
      announce(events, followed, key, due and 'queued' or 'scheduled', when)
    end
    results[i] = 1
  end
end
return results
