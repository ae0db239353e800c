-- popup_room_watch: what the customers one intake process streams to need, in one call: the room brought up to
-- date, each customer heard of (its place kept) and told where it stands, and the line's summary.
-- KEYS[1] state      {sale:<id>}:state hash (read: the window and the stock decide the phase)
-- KEYS[2] room       {sale:<id>}:room hash
-- KEYS[3] line       {sale:<id>}:line sorted set
-- KEYS[4] seen       {sale:<id>}:line:seen sorted set
-- KEYS[5] early      {sale:<id>}:line:early set
-- KEYS[6] admitted   {sale:<id>}:line:admitted hash
-- KEYS[7] estimates  {sale:<id>}:line:estimates hash
-- ARGV[1..n] customerId  0 to 1000 customers listening (none: only bring the room up to date)
-- Returns: { on, closed, rate, phase, now, waiting, early, then per customer: where, value } with where and
--   value as popup_room_join's ('none', -1 for a customer not in the line: it lost its place or never joined);
--   waiting and early count the line and the early arrivals.
-- Errors: ERR_POPUP_BAD_ARG (wrong key count, more than 1000 customers).
--- @include "../includes/errors"
--- @include "../includes/now_ms"
--- @include "../includes/sale_state"
--- @include "../includes/waiting_room"

local MAX_WATCHED = 1000

local function room_watch(keys, args)
  if #keys ~= 7 or #args > MAX_WATCHED then
    return fail(ERR_BAD_ARG, 'popup_room_watch takes 7 keys and at most ' .. MAX_WATCHED .. ' customers')
  end
  local k = { state = keys[1], room = keys[2], line = keys[3], seen = keys[4], early = keys[5], admitted = keys[6],
    estimates = keys[7] }
  local now = now_ms()
  local room = read_room(k.room)
  local phase = room_tick(k, room, read_sale(k.state), now)
  local reply = { room.on, room.closed, effective_rate(room), phase, now, rcall('ZCARD', k.line),
    rcall('SCARD', k.early) }
  for _, customer in ipairs(args) do
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
