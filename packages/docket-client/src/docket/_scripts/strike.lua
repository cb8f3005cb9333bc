-- Put a strike in effect, or lift it, and announce the change (docket._strikes).
-- KEYS: strikes hash (canonical id -> encoded strike)
-- ARGV: strike id, encoded strike ('' to lift it), the strikes channel
-- Every open Docket follows the channel and reads the hash again when it hears of a change.
-- Returns 1 when this changed the strikes in effect (a new strike, or one lifted), else 0.
local strikes = KEYS[1]
local id, encoded, channel = ARGV[1], ARGV[2], ARGV[3]

local changed
if encoded == '' then
  changed = redis.call('HDEL', strikes, id)
else
  changed = redis.call('HSET', strikes, id, encoded)
end
redis.call('PUBLISH', channel, id)
return changed
