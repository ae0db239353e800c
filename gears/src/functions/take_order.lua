-- popup_take_order: takes a customer's order at the door. Unless the customer already holds a unit, appends the
-- customer entry, encoded by the caller with the transport's codec (libs/streams-transport: v, data, and the
-- order's trace context), to the customers stream. The check and the write are one atomic call: a customer told
-- they hold a unit never has an order written (sent as HEXISTS and XADD side by side, Redis could run the XADD
-- first, and the report's accepted orders would no longer match the tickets given).
-- The buyers hash is only read. It is a key of the call all the same (a cluster routes by it, and a function may
-- touch only the keys it is given); FCALL's key spec asks write access to every key named, so customer-intake's
-- Redis user is granted it for this one function, whose commands are checked against its own rights, where the
-- buyers hash is read-only (deploy/redis/users.acl).
-- KEYS[1] buyers     {sale:<id>}:buyers hash (customerId -> '<orderId>:<unit>'), read only
-- KEYS[2] customers  {sale:<id>}:customers stream
-- ARGV[1] customerId the ordering customer
-- ARGV[2..]         the entry's field names and values, in pairs (at least v and data)
-- Returns: the new entry's id, or '' when the customer holds a unit (nothing is written then).
-- Errors: ERR_POPUP_BAD_ARG (not 2 keys, keys of two sales, an empty customerId, fewer than 2 fields or an odd
--   count of names and values); nothing is written then.
--- @include "../includes/errors"

-- The part of a key a cluster hashes: from the first '{' to the next '}', when not empty.
local function hash_tag(key)
  return string.match(key, '{([^}]+)}')
end

local function take_order(keys, args)
  local buyers_key, customers_key = keys[1], keys[2]
  if #keys ~= 2 then
    return fail(ERR_BAD_ARG, 'popup_take_order takes 2 keys, got ' .. #keys)
  end
  local tag = hash_tag(buyers_key)
  if tag == nil or tag ~= hash_tag(customers_key) then
    return fail(ERR_BAD_ARG, 'the buyers and customers keys must be of one sale: ' .. buyers_key .. ', ' .. customers_key)
  end
  local customer_id = args[1]
  if customer_id == nil or customer_id == '' then
    return fail(ERR_BAD_ARG, 'empty customerId')
  end
  if #args < 5 or #args % 2 ~= 1 then
    return fail(ERR_BAD_ARG, 'expected a customerId then field names and values in pairs, got ' .. #args .. ' arguments')
  end
  if rcall('HEXISTS', buyers_key, customer_id) == 1 then
    return ''
  end
  return rcall('XADD', customers_key, '*', unpack(args, 2))
end

redis.register_function('popup_take_order', take_order)
