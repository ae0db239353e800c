-- popup_configure_sale: sets a sale's stock and window and switches it open.
-- Once a unit is sold the sale's history is the truth of what was sold: reconfiguring then needs force, which
-- starts the sale over (buyers, decisions and counters deleted; the streams are logs and stay).
-- KEYS[1] state      {sale:<id>}:state hash
-- KEYS[2] buyers     {sale:<id>}:buyers hash
-- KEYS[3] decisions  {sale:<id>}:decisions hash
-- ARGV[1] stock      initial stock, integer >= 0
-- ARGV[2] startsAt   window start, ms since the epoch
-- ARGV[3] endsAt     window end (exclusive), ms, > startsAt
-- ARGV[4] force      '1' to start over a sale that sold units, else '0'
-- Returns: the number of units sold before (0 unless forced).
-- Errors: ERR_POPUP_BAD_ARG (an argument out of range), ERR_POPUP_SALE_STARTED (units sold and not forced).
--- @include "../includes/errors"
--- @include "../includes/args"

local function configure_sale(keys, args)
  local state_key, buyers_key, decisions_key = keys[1], keys[2], keys[3]
  if #keys ~= 3 or #args ~= 4 then
    return fail(ERR_BAD_ARG, 'popup_configure_sale takes 3 keys and 4 arguments')
  end
  local stock, starts_at, ends_at, force = to_int(args[1]), to_int(args[2]), to_int(args[3]), args[4]
  if not stock or stock < 0 then
    return fail(ERR_BAD_ARG, 'stock must be an integer >= 0, got ' .. args[1])
  end
  if not starts_at or starts_at < 0 or not ends_at or ends_at <= starts_at then
    return fail(ERR_BAD_ARG, 'window must be integers with 0 <= startsAt < endsAt, got ' .. args[2] .. ', ' .. args[3])
  end
  if force ~= '0' and force ~= '1' then
    return fail(ERR_BAD_ARG, "force must be '0' or '1', got " .. force)
  end

  local sold = tonumber(rcall('HGET', state_key, 'completed')) or 0
  if sold > 0 then
    if force == '0' then
      return fail(ERR_SALE_STARTED, sold .. ' units sold already; configure with force to start the sale over')
    end
    rcall('DEL', state_key, buyers_key, decisions_key)
  end
  rcall('HSET', state_key, 'stock', stock, 'left', stock, 'startsAt', starts_at, 'endsAt', ends_at, 'state', 'open')
  rcall('HDEL', state_key, 'soldOutAt')
  return sold
end

redis.register_function('popup_configure_sale', configure_sale)
