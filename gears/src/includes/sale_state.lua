-- The {sale:<id>}:state hash: configuration (stock, startsAt, endsAt, state), the run (start-overs) and live counters.
--- @include "args"

local SALE_FIELDS = { 'stock', 'left', 'startsAt', 'endsAt', 'state', 'soldOutAt',
  'completed', 'closed', 'duplicate', 'sold_out', 'run', 'runFrom', 'replayed' }

-- The sale as a table; configured is false when the hash has never been set up by popup_configure_sale.
local function read_sale(state_key)
  local values = rcall('HMGET', state_key, unpack(SALE_FIELDS))
  local sale = {
    stock = tonumber(values[1]) or 0,
    left = tonumber(values[2]) or 0,
    startsAt = tonumber(values[3]),
    endsAt = tonumber(values[4]),
    state = values[5] or 'closed',
    soldOutAt = tonumber(values[6]),
    completed = tonumber(values[7]) or 0,
    closed = tonumber(values[8]) or 0,
    duplicate = tonumber(values[9]) or 0,
    sold_out = tonumber(values[10]) or 0,
    -- A sale configured before runs were counted is in its first.
    run = tonumber(values[11]) or 1,
    -- When the run began (ms, Redis TIME; nil in a first run): a customer entry older than that is an earlier run's.
    runFrom = tonumber(values[12]),
    -- Customer entries deleted without a decision of their own: second entries of an order decided before.
    replayed = tonumber(values[13]) or 0,
  }
  sale.configured = sale.startsAt ~= nil
  return sale
end

-- Open means: configured, switched open by the operator, and now inside [startsAt, endsAt).
local function sale_open(sale, now)
  return sale.configured and sale.state == 'open' and sale.startsAt <= now and now < sale.endsAt
end

-- The phase a shopper sees: 'unconfigured', 'closed' (the operator's switch), 'scheduled', 'ended', 'sold_out' or
-- 'open'.
local function phase_of(sale, now)
  if not sale.configured then
    return 'unconfigured'
  elseif sale.state ~= 'open' then
    return 'closed'
  elseif now < sale.startsAt then
    return 'scheduled'
  elseif now >= sale.endsAt then
    return 'ended'
  elseif sale.left <= 0 then
    return 'sold_out'
  end
  return 'open'
end
