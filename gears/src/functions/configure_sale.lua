-- popup_configure_sale: sets a sale's stock and window and switches it open.
-- Once a unit is sold the sale's history is the truth of what was sold: reconfiguring then needs force, which
-- starts the sale over as a new run. The run's records move, by RENAME, to archive keys of the same hash tag
-- (`{sale:<id>}:run:<n>:<name>`, so the same slot), and the new run starts from none of them: its buyers,
-- decisions, streams (an earlier run's undecided orders are not decided from the new stock), audit and report.
-- The archive keys are derived here from KEYS[1..12], not given: their run number is known only inside the call.
-- The new run records when it began (runFrom, Redis TIME): popup_decide_orders leaves undecided an order whose
-- customer entry is older, one an earlier run's reader was still carrying at the start-over.
-- KEYS[1]  state         {sale:<id>}:state hash (its run field counts the start-overs, from 1)
-- KEYS[2]  buyers        {sale:<id>}:buyers hash
-- KEYS[3]  decisions     {sale:<id>}:decisions hash
-- KEYS[4]  customers     {sale:<id>}:customers stream
-- KEYS[5]  orders        {sale:<id>}:orders stream
-- KEYS[6]  completed     {sale:<id>}:completed stream
-- KEYS[7]  rejected      {sale:<id>}:rejected stream
-- KEYS[8]  alerts        {sale:<id>}:alerts stream
-- KEYS[9]  audit         {sale:<id>}:audit hash
-- KEYS[10] audit_buyers  {sale:<id>}:audit:buyers hash
-- KEYS[11] audit_units   {sale:<id>}:audit:units hash
-- KEYS[12] report        {sale:<id>}:report string
-- ARGV[1] stock      initial stock, integer >= 0
-- ARGV[2] startsAt   window start, ms since the epoch
-- ARGV[3] endsAt     window end (exclusive), ms, > startsAt
-- ARGV[4] force      '1' to start over a sale that sold units, else '0'
-- Returns: { units sold before (0 unless started over), the run now }.
-- Errors: ERR_POPUP_BAD_ARG (an argument out of range, a key outside one sale's tag), ERR_POPUP_SALE_STARTED
--   (units sold and not forced).
--- @include "../includes/errors"
--- @include "../includes/args"
--- @include "../includes/now_ms"

local RUN_KEYS = 12

-- `{sale:<id>}:<name>` -> `{sale:<id>}:run:<run>:<name>`, or nil when the key is not a sale's.
local function archive_key(key, run)
  local tag, name = string.match(key, '^({sale:[^}]+}):(.+)$')
  return tag and (tag .. ':run:' .. run .. ':' .. name)
end

local function configure_sale(keys, args)
  local state_key = keys[1]
  -- The run's records, in KEYS order (state first: it is archived with them, then written anew).
  local run_keys = { keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], keys[7], keys[8], keys[9], keys[10],
    keys[11], keys[12] }
  if #keys ~= RUN_KEYS or #args ~= 4 then
    return fail(ERR_BAD_ARG, 'popup_configure_sale takes ' .. RUN_KEYS .. ' keys and 4 arguments')
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
  for _, key in ipairs(run_keys) do
    if not archive_key(key, 1) then
      return fail(ERR_BAD_ARG, 'not a key of a sale: ' .. key)
    end
  end

  local sold = tonumber(rcall('HGET', state_key, 'completed')) or 0
  local run = tonumber(rcall('HGET', state_key, 'run')) or 1
  if sold > 0 then
    if force == '0' then
      return fail(ERR_SALE_STARTED, sold .. ' units sold already; configure with force to start the sale over')
    end
    for _, key in ipairs(run_keys) do
      if rcall('EXISTS', key) == 1 then
        rcall('RENAME', key, archive_key(key, run))
      end
    end
    run = run + 1
    rcall('HSET', state_key, 'runFrom', now_ms())
  end
  rcall('HSET', state_key, 'stock', stock, 'left', stock, 'startsAt', starts_at, 'endsAt', ends_at, 'state', 'open',
    'run', run)
  rcall('HDEL', state_key, 'soldOutAt')
  return { sold, run }
end

redis.register_function('popup_configure_sale', configure_sale)
