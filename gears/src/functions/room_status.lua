-- popup_room_status: the waiting room's figures, for the operator and metrics-export.
-- It reports the room as the last join or watch left it.
-- Read-only (no-writes).
-- KEYS[1] room       {sale:<id>}:room hash
-- KEYS[2] line       {sale:<id>}:line sorted set
-- KEYS[3] early      {sale:<id>}:line:early set
-- ARGV: none.
-- Returns: a flat field/value array: on (0/1), closed (0/1), rate (admissions per second now), waiting, early,
--   joined, admitted, abandoned, estimateError (mean relative error of the wait estimates, in millionths; -1
--   before the first admission), auto (0/1: turns itself on once arrivals pass the rate), autoOnAt (when it
--   did, ms; 0 if it has not).
-- Errors: ERR_POPUP_BAD_ARG (wrong number of keys or arguments).
--- @include "../includes/errors"
--- @include "../includes/waiting_room"

local function room_status(keys, args)
  if #keys ~= 3 or #args ~= 0 then
    return fail(ERR_BAD_ARG, 'popup_room_status takes 3 keys and no arguments')
  end
  local room = read_room(keys[1])
  return {
    'on', room.on == '1' and 1 or 0,
    'closed', room.closed,
    'rate', effective_rate(room),
    'waiting', rcall('ZCARD', keys[2]),
    'early', rcall('SCARD', keys[3]),
    'joined', room.joined,
    'admitted', room.admitted,
    'abandoned', room.abandoned,
    'estimateError', room.estSamples > 0 and math.floor(room.estErrSum / room.estSamples) or -1,
    'auto', room.auto,
    'autoOnAt', room.autoOnAt,
  }
end

redis.register_function {
  function_name = 'popup_room_status',
  callback = room_status,
  flags = { 'no-writes' },
}
