-- popup_room_join: a customer joins the sale's line, or asks again where it stands (a join is idempotent).
-- Before the opening it waits among the early arrivals, shuffled into the line at the opening; after it, it is
-- placed at the back. Every call brings the room up to date first (admissions, abandonments, the shuffle).
-- KEYS[1] room       {sale:<id>}:room hash
-- KEYS[2] line       {sale:<id>}:line sorted set
-- KEYS[3] seen       {sale:<id>}:line:seen sorted set
-- KEYS[4] early      {sale:<id>}:line:early set
-- KEYS[5] admitted   {sale:<id>}:line:admitted hash
-- KEYS[6] estimates  {sale:<id>}:line:estimates hash
-- ARGV[1] state      the sale's state ('open' or 'closed'), as popup_sale_status read it
-- ARGV[2] startsAt   its window start, ms (-1: not configured)
-- ARGV[3] endsAt     its window end, ms
-- ARGV[4] left       units left
-- ARGV[5] decided    orders decided so far (every outcome)
-- ARGV[6] backlog    customer entries waiting to become orders (XLEN of the customers stream), -1 if not known
-- ARGV[7] customerId the customer (the token's sub), non-empty
-- Returns: { where, value, rate, phase, now } where is 'off' (no room: order directly), 'closed' (the line
--   closed: sold out or ended), 'admitted' (value: when the admission lapses, ms), 'waiting' (value: customers ahead) or 'early'
--   (value: -1); rate is admissions per second now; now is Redis TIME in ms.
-- Errors: ERR_POPUP_BAD_ARG (wrong key or argument count, a malformed sale argument, an empty customerId).
--- @include "../includes/errors"
--- @include "../includes/now_ms"
--- @include "../includes/args"
--- @include "../includes/sale_state"
--- @include "../includes/waiting_room"

local function room_join(keys, args)
  if #keys ~= 6 or #args ~= SALE_ARGS + 1 then
    return fail(ERR_BAD_ARG, 'popup_room_join takes 6 keys and 7 arguments')
  end
  local sale, problem = sale_from_args(args[1], args[2], args[3], args[4], args[5], args[6])
  if not sale then
    return fail(ERR_BAD_ARG, problem)
  end
  local customer = args[7]
  if customer == '' then
    return fail(ERR_BAD_ARG, 'customerId must not be empty')
  end
  local k = { room = keys[1], line = keys[2], seen = keys[3], early = keys[4], admitted = keys[5], estimates = keys[6] }
  local now = now_ms()
  local room = read_room(k.room)
  local phase = room_tick(k, room, sale, now)
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
