-- popup_room_watch: what the customers one intake process streams to need, in one call: the room brought up to
-- date, each customer heard of (its place kept) and told where it stands, and the line's summary.
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
-- ARGV[7] arrivals   order requests for the sale the caller saw since its last watch, integer >= 0: with auto on,
--                    the room turns itself on once the arrivals of every caller pass the admission rate
-- ARGV[8..] customerId 0 to 1000 customers listening (none: only bring the room up to date)
-- Returns: { on, closed, rate, phase, now, waiting, early, then per customer: where, value } with where and
--   value as popup_room_join's ('none', -1 for a customer not in the line: it lost its place or never joined);
--   waiting and early count the line and the early arrivals.
-- Errors: ERR_POPUP_BAD_ARG (wrong key count, a malformed sale argument, more than 1000 customers).
--- @include "../includes/errors"
--- @include "../includes/now_ms"
--- @include "../includes/args"
--- @include "../includes/sale_state"
--- @include "../includes/waiting_room"

local MAX_WATCHED = 1000

local function room_watch(keys, args)
  if #keys ~= 6 or #args < SALE_ARGS + 1 or #args > SALE_ARGS + 1 + MAX_WATCHED then
    return fail(ERR_BAD_ARG,
      'popup_room_watch takes 6 keys, the sale, the arrivals and at most ' .. MAX_WATCHED .. ' customers')
  end
  local sale, problem = sale_from_args(args[1], args[2], args[3], args[4], args[5], args[6])
  if not sale then
    return fail(ERR_BAD_ARG, problem)
  end
  -- args[7]: right after the SALE_ARGS (6) sale arguments.
  local arrivals = to_int(args[7])
  if not arrivals or arrivals < 0 then
    return fail(ERR_BAD_ARG, 'arrivals must be an integer >= 0, got ' .. args[7])
  end
  local k = { room = keys[1], line = keys[2], seen = keys[3], early = keys[4], admitted = keys[5], estimates = keys[6] }
  local now = now_ms()
  local room = read_room(k.room)
  auto_switch(k, room, sale, arrivals, now)
  local phase = room_tick(k, room, sale, now)
  local reply = { room.on, room.closed, effective_rate(room), phase, now, rcall('ZCARD', k.line),
    rcall('SCARD', k.early) }
  for i = SALE_ARGS + 2, #args do
    local customer = args[i]
    local where, value = 'closed', -1
    if room.on ~= '1' then
      where = 'off'
    elseif room.closed ~= 1 then
      where, value = whereabouts(k, room, customer, now)
      if where == 'waiting' or where == 'early' then
        rcall('ZADD', k.seen, 'XX', now, customer)
      end
    end
    table.insert(reply, where)
    table.insert(reply, value)
  end
  return reply
end

redis.register_function('popup_room_watch', room_watch)
