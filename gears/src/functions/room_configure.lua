-- popup_room_configure: the operator's settings of a sale's waiting room.
-- KEYS[1] room       {sale:<id>}:room hash
-- KEYS[2] line       {sale:<id>}:line sorted set
-- KEYS[3] seen       {sale:<id>}:line:seen sorted set
-- KEYS[4] early      {sale:<id>}:line:early set
-- KEYS[5] admitted   {sale:<id>}:line:admitted hash
-- KEYS[6] estimates  {sale:<id>}:line:estimates hash
-- ARGV[1] on         '1' to turn the room on, '0' to turn it off (the line is kept, orders need no pass)
-- ARGV[2] rate       admissions per second, integer >= 0; 0 derives it from the decisions measured
-- ARGV[3] timeoutMs  how long a customer not heard of keeps its place, integer >= 1000
-- ARGV[4] admitMs    how long an admission lasts (its pass), integer >= 1000
-- ARGV[5] autoFloor  the least derived rate, integer >= 1
-- ARGV[6] reset      '1' to empty the line and its counters (a sale started over), else '0'
-- ARGV[7] auto       '1' to let the room turn itself on once arrivals pass the admission rate, else '0'
-- Returns: whether the room was on before ('1' or '0').
-- Errors: ERR_POPUP_BAD_ARG (an argument out of range).
--- @include "../includes/errors"
--- @include "../includes/args"

local function room_configure(keys, args)
  if #keys ~= 6 or #args ~= 7 then
    return fail(ERR_BAD_ARG, 'popup_room_configure takes 6 keys and 7 arguments')
  end
  local room_key = keys[1]
  local on, rate, timeout_ms, admit_ms, auto_floor, reset, auto =
    args[1], to_int(args[2]), to_int(args[3]), to_int(args[4]), to_int(args[5]), args[6], args[7]
  if on ~= '0' and on ~= '1' then
    return fail(ERR_BAD_ARG, "on must be '0' or '1', got " .. on)
  end
  if not rate or rate < 0 then
    return fail(ERR_BAD_ARG, 'rate must be an integer >= 0, got ' .. args[2])
  end
  if not timeout_ms or timeout_ms < 1000 or not admit_ms or admit_ms < 1000 then
    return fail(ERR_BAD_ARG, 'timeoutMs and admitMs must be integers >= 1000, got ' .. args[3] .. ', ' .. args[4])
  end
  if not auto_floor or auto_floor < 1 then
    return fail(ERR_BAD_ARG, 'autoFloor must be an integer >= 1, got ' .. args[5])
  end
  if reset ~= '0' and reset ~= '1' then
    return fail(ERR_BAD_ARG, "reset must be '0' or '1', got " .. reset)
  end
  if auto ~= '0' and auto ~= '1' then
    return fail(ERR_BAD_ARG, "auto must be '0' or '1', got " .. auto)
  end
  local before = rcall('HGET', room_key, 'on') or '0'
  if reset == '1' then
    rcall('DEL', room_key, keys[2], keys[3], keys[4], keys[5], keys[6])
  end
  rcall('HSET', room_key, 'on', on, 'rate', rate, 'timeoutMs', timeout_ms, 'admitMs', admit_ms, 'autoFloor', auto_floor,
    'auto', auto)
  -- Arrivals are counted afresh from the operator's change: what came before it decided nothing.
  rcall('HDEL', room_key, 'arrivals', 'arrivalsSince', 'autoOnAt')
  return before
end

redis.register_function('popup_room_configure', room_configure)
