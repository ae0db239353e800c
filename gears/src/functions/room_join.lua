-- popup_room_join: a customer joins the sale's line, or asks again where it stands (a join is idempotent).
-- Before the opening it waits among the early arrivals, shuffled into the line at the opening; after it, it is
-- placed at the back. Every call brings the room up to date first (admissions, abandonments, the shuffle).
-- KEYS[1] state      {sale:<id>}:state hash (read: the window and the stock decide the phase)
-- KEYS[2] room       {sale:<id>}:room hash
-- KEYS[3] line       {sale:<id>}:line sorted set
-- KEYS[4] seen       {sale:<id>}:line:seen sorted set
-- KEYS[5] early      {sale:<id>}:line:early set
-- KEYS[6] admitted   {sale:<id>}:line:admitted hash
-- KEYS[7] estimates  {sale:<id>}:line:estimates hash
-- ARGV[1] customerId the customer (the token's sub), non-empty
-- Returns: { where, value, rate, phase, now } where is 'off' (no room: order directly), 'closed' (the line
--   closed: sold out or ended), 'admitted' (value: when the admission lapses, ms), 'waiting' (value: customers ahead) or 'early'
--   (value: -1); rate is admissions per second now; now is Redis TIME in ms.
-- Errors: ERR_POPUP_BAD_ARG (wrong key or argument count, an empty customerId).
--- @include "../includes/errors"
--- @include "../includes/now_ms"
--- @include "../includes/sale_state"
--- @include "../includes/waiting_room"

local function room_join(keys, args)
  if #keys ~= 7 or #args ~= 1 then
    return fail(ERR_BAD_ARG, 'popup_room_join takes 7 keys and 1 argument')
  end
  local customer = args[1]
  if customer == '' then
    return fail(ERR_BAD_ARG, 'customerId must not be empty')
  end
  local k = { state = keys[1], room = keys[2], line = keys[3], seen = keys[4], early = keys[5], admitted = keys[6],
    estimates = keys[7] }
  local now = now_ms()
  local room = read_room(k.room)
  local phase = room_tick(k, room, read_sale(k.state), now)
  local rate = effective_rate(room)
  if room.on ~= '1' then
    return { 'off', -1, rate, phase, now }
  end
  if room.closed == 1 then
    return { 'closed', -1, rate, phase, now }
  end
  local where, value = whereabouts(k, room, customer, now)
  if where == 'none' then
    rcall('HINCRBY', k.room, 'joined', 1)
    if phase == 'scheduled' or phase == 'unconfigured' then
      rcall('SADD', k.early, customer)
      where = 'early'
    else
      local position = rcall('HINCRBY', k.room, 'seq', 1)
      place(k, room, customer, position, now)
      where, value = 'waiting', rcall('ZRANK', k.line, customer)
    end
  end
  if where ~= 'admitted' then
    rcall('ZADD', k.seen, now, customer)
  end
  return { where, value, rate, phase, now }
end

redis.register_function('popup_room_join', room_join)
