-- popup_sale_status: everything an operator asks about a sale, in one round trip.
-- Read-only (no-writes).
-- KEYS[1] state  {sale:<id>}:state hash
-- ARGV: none.
-- Returns: a flat field/value array: phase ('unconfigured', 'closed', 'scheduled', 'open', 'sold_out' or
--   'ended'), state, stock, left, startsAt, endsAt, soldOutAt (-1 when not sold out), now, completed, closed,
--   duplicate, sold_out, run (1, then one more per start-over), replayed (customer entries deleted as second entries
--   of an order decided before).
-- Errors: ERR_POPUP_BAD_ARG (wrong number of keys or arguments).
--- @include "../includes/errors"
--- @include "../includes/now_ms"
--- @include "../includes/sale_state"

local function sale_status(keys, args)
  local state_key = keys[1]
  if #keys ~= 1 or #args ~= 0 then
    return fail(ERR_BAD_ARG, 'popup_sale_status takes 1 key and no arguments')
  end
  local now = now_ms()
  local sale = read_sale(state_key)
  return {
    'phase', phase_of(sale, now),
    'state', sale.state,
    'stock', sale.stock,
    'left', sale.left,
    'startsAt', sale.startsAt or -1,
    'endsAt', sale.endsAt or -1,
    'soldOutAt', sale.soldOutAt or -1,
    'now', now,
    'completed', sale.completed,
    'closed', sale.closed,
    'duplicate', sale.duplicate,
    'sold_out', sale.sold_out,
    'run', sale.run,
    'replayed', sale.replayed,
  }
end

redis.register_function {
  function_name = 'popup_sale_status',
  callback = sale_status,
  flags = { 'no-writes' },
}
