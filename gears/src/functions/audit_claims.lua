-- popup_audit_claims: enters completions in the auditor's ledger, each claiming its unit and its customer for its
-- order, on the node that holds the completion. A completion not in the completed stream here (it was written on a
-- master that died before its replica had it, and the auditor's connection, sent to the new master after the
-- failover, resent the claims there) claims nothing: its decision went with that master and its order is decided
-- again, so a claim of it would be taken for a second sale of the unit (the cluster master-kill chaos scenario's
-- "unit 338 went to order B after order A"). The auditor's own record, not the gears' decisions: a completion
-- written to the stream by anyone claims as the gears' own do.
-- KEYS[1] completed     {sale:<id>}:completed stream, read only
-- KEYS[2] audit_buyers  {sale:<id>}:audit:buyers hash (customerId -> the first order that served it)
-- KEYS[3] audit_units   {sale:<id>}:audit:units hash (unit -> the first order that got it)
-- ARGV[1+4k .. 4+4k] for completion k (1 to 1000): its entry id in the completed stream, orderId, customerId, unit
-- Returns: one integer per completion, in ARGV order: -1 when its entry is not in the stream here (nothing
--   claimed), else 1 if its customer was claimed by it now, plus 2 if its unit was claimed by it now (0 to 3).
-- Errors: ERR_POPUP_BAD_ARG (not 3 keys, argument count not 4k, more than 1000 completions, a malformed entry id,
--   an empty orderId, customerId or unit); nothing is written then.
--- @include "../includes/errors"
--- @include "../includes/args"

local FIELDS = 4
local MAX_COMPLETIONS = 1000

local function audit_claims(keys, args)
  local completed_key, buyers_key, units_key = keys[1], keys[2], keys[3]
  if #keys ~= 3 then
    return fail(ERR_BAD_ARG, 'popup_audit_claims takes 3 keys, got ' .. #keys)
  end
  local count = #args / FIELDS
  if count < 1 or count > MAX_COMPLETIONS or count ~= math.floor(count) then
    return fail(ERR_BAD_ARG, 'expected 4 fields per completion for 1 to ' .. MAX_COMPLETIONS .. ' completions, got '
      .. #args .. ' arguments')
  end
  for base = 1, #args, FIELDS do
    if not is_stream_id(args[base]) then
      return fail(ERR_BAD_ARG, 'malformed entry id ' .. args[base])
    end
    if args[base + 1] == '' or args[base + 2] == '' or args[base + 3] == '' then
      return fail(ERR_BAD_ARG, 'empty orderId, customerId or unit at entry ' .. args[base])
    end
  end
  local claimed = {}
  for base = 1, #args, FIELDS do
    local entry_id, order_id, customer_id, unit = args[base], args[base + 1], args[base + 2], args[base + 3]
    if #rcall('XRANGE', completed_key, entry_id, entry_id) == 0 then
      claimed[#claimed + 1] = -1
    else
      claimed[#claimed + 1] = rcall('HSETNX', buyers_key, customer_id, order_id)
        + 2 * rcall('HSETNX', units_key, unit, order_id)
    end
  end
  return claimed
end

redis.register_function('popup_audit_claims', audit_claims)
