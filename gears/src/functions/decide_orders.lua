-- popup_decide_orders: decides a batch of orders read from the orders stream, each exactly once.
-- Per order, in this order: sale not open -> rejected 'closed'; customer already holds a unit -> rejected
-- 'duplicate'; no unit left -> rejected 'sold_out'; else the next unit is the customer's. A customer without a
-- unit may order again (after 'closed' before the start, or 'sold_out'): the rule is one unit per customer.
-- Each decision is recorded in the decisions hash with the order's entry acknowledged and deleted in the same
-- atomic call, so an order delivered again (a retried FCALL, a producer's duplicate) changes nothing and gets
-- its first decision back; its customer entry is deleted all the same (an intake that retried a write whose
-- WAIT failed in a failover left two customer entries for one order: the second would stay forever), and the
-- state's replayed counter counts each one deleted, so the auditor can tell it from a lost order. An order
-- whose customer entry is older than the run (the state's runFrom: a reader carried it across a start-over)
-- is an earlier run's: it is not decided from this run's stock; its entry is acknowledged and deleted, nothing
-- else written, and it is answered 'rejected:closed' among the replayed.
-- KEYS[1] state      {sale:<id>}:state hash (left, soldOutAt and the counters, replayed too, are updated)
-- KEYS[2] buyers     {sale:<id>}:buyers hash (customerId -> '<orderId>:<unit>')
-- KEYS[3] decisions  {sale:<id>}:decisions hash (orderId -> decision)
-- KEYS[4] orders     {sale:<id>}:orders stream (each entry acked in ARGV[1]'s group and deleted: XACKDEL on
--                    Redis 8.2+, else XACK then XDEL)
-- KEYS[5] customers  {sale:<id>}:customers stream (the customer's entry XDELed once the order is decided)
-- KEYS[6] completed  {sale:<id>}:completed stream
-- KEYS[7] rejected   {sale:<id>}:rejected stream
-- ARGV[1] group      the consumer group that read the orders (fulfilment)
-- ARGV[2+7k .. 8+7k] for order k (1 to 1000 orders): entryId, orderId, customerId, submittedAt (ms),
--   customerEntryId, traceparent, tracestate ('' when absent)
-- Returns: { decisions, replayed }: decisions holds one decision per order, in ARGV order, each
--   'completed:<unit>:<at>' or 'rejected:<reason>:<at>'; replayed lists the positions (from 1) of the orders
--   for which nothing was written: decided before (the decision is the earlier one) or of an earlier run.
-- Errors: ERR_POPUP_BAD_ARG (wrong key count, argument count not 1 + 7k, more than 1000 orders, a malformed
--   stream id, an empty id, a submittedAt not an integer >= 0); nothing is written then.
--- @include "../includes/errors"
--- @include "../includes/args"
--- @include "../includes/now_ms"
--- @include "../includes/sale_state"
--- @include "../includes/stream_entry"
--- @include "../includes/json"

local ORDER_FIELDS = 7
-- Keeps every variadic call below Lua's unpack limit (8000 values).
local MAX_ORDERS = 1000
-- XACKDEL (Redis 8.2) acks and deletes in one command; the version is that of the server running the function.
local HAS_XACKDEL = redis.REDIS_VERSION_NUM >= 0x080200

local function check_orders(args)
  local count = (#args - 1) / ORDER_FIELDS
  if count < 1 or count > MAX_ORDERS or count ~= math.floor(count) then
    return nil, 'expected a group then 7 fields per order for 1 to ' .. MAX_ORDERS .. ' orders, got '
      .. #args .. ' arguments'
  end
  for base = 2, #args, ORDER_FIELDS do
    if not is_stream_id(args[base]) or not is_stream_id(args[base + 4]) then
      return nil, 'malformed stream id in order ' .. args[base + 1]
    end
    if args[base + 1] == '' or args[base + 2] == '' then
      return nil, 'empty orderId or customerId at entry ' .. args[base]
    end
    local submitted_at = to_int(args[base + 3])
    if not submitted_at or submitted_at < 0 then
      return nil, 'submittedAt must be an integer >= 0, got ' .. args[base + 3] .. ' in order ' .. args[base + 1]
    end
  end
  return count
end

-- Whether a customer entry (its stream id, checked) was written before the sale's run began.
local function of_earlier_run(sale, customer_entry_id)
  return sale.runFrom ~= nil and tonumber(string.match(customer_entry_id, '^(%d+)')) < sale.runFrom
end

local function decide_orders(keys, args)
  local state_key, buyers_key, decisions_key = keys[1], keys[2], keys[3]
  local orders_key, customers_key, completed_key, rejected_key = keys[4], keys[5], keys[6], keys[7]
  if #keys ~= 7 then
    return fail(ERR_BAD_ARG, 'popup_decide_orders takes 7 keys, got ' .. #keys)
  end
  local count, problem = check_orders(args)
  if not count then
    return fail(ERR_BAD_ARG, problem)
  end
  local group = args[1]

  local entry_ids, order_ids, customer_ids = {}, {}, {}
  for k = 1, count do
    local base = 2 + (k - 1) * ORDER_FIELDS
    entry_ids[k], order_ids[k], customer_ids[k] = args[base], args[base + 1], args[base + 2]
  end

  local now = now_ms()
  local at = ':' .. now
  local sale = read_sale(state_key)
  local open = sale_open(sale, now)
  local earlier = rcall('HMGET', decisions_key, unpack(order_ids))
  -- Whether a customer holds a unit: read once for the batch, then kept current as units go.
  local holds_unit = {}
  if open then
    local owned = rcall('HMGET', buyers_key, unpack(customer_ids))
    for k = 1, count do
      if owned[k] then
        holds_unit[customer_ids[k]] = true
      end
    end
  end

  local left, completed = sale.left, sale.completed
  local sold_out_at = sale.soldOutAt
  local tallies = { closed = sale.closed, duplicate = sale.duplicate, sold_out = sale.sold_out }
  local decided = {}
  local new_decisions, new_buyers, customer_entries, replayed_entries = {}, {}, {}, {}
  local decision_fields, buyer_fields, fresh = 0, 0, 0
  local decisions, replayed = {}, {}

  for k = 1, count do
    local order_id, customer_id = order_ids[k], customer_ids[k]
    local decision = decided[order_id] or earlier[k]
    if not decision and of_earlier_run(sale, args[2 + (k - 1) * ORDER_FIELDS + 4]) then
      decision = 'rejected:closed' .. at
    end
    if decision then
      replayed[#replayed + 1] = k
      replayed_entries[#replayed_entries + 1] = args[2 + (k - 1) * ORDER_FIELDS + 4]
    else
      local base = 2 + (k - 1) * ORDER_FIELDS
      local reason
      if not open then
        reason = 'closed'
      elseif holds_unit[customer_id] then
        reason = 'duplicate'
      elseif left <= 0 then
        reason = 'sold_out'
        sold_out_at = sold_out_at or now
      end

      -- submittedAt passed check_orders as a canonical integer, so its text is already JSON.
      local ids = '{"orderId":' .. json_string(order_id) .. ',"customerId":' .. json_string(customer_id)
      if reason then
        tallies[reason] = tallies[reason] + 1
        decision = 'rejected:' .. reason .. at
        xadd_entry(rejected_key, ids .. ',"reason":"' .. reason .. '","submittedAt":' .. args[base + 3]
          .. ',"decidedAt":' .. now .. '}', args[base + 5], args[base + 6])
      else
        left = left - 1
        completed = completed + 1
        if left == 0 then
          sold_out_at = sold_out_at or now
        end
        holds_unit[customer_id] = true
        new_buyers[buyer_fields + 1] = customer_id
        new_buyers[buyer_fields + 2] = order_id .. ':' .. completed
        buyer_fields = buyer_fields + 2
        decision = 'completed:' .. completed .. at
        xadd_entry(completed_key, ids .. ',"unit":' .. completed .. ',"submittedAt":' .. args[base + 3]
          .. ',"completedAt":' .. now .. '}', args[base + 5], args[base + 6])
      end
      decided[order_id] = decision
      new_decisions[decision_fields + 1] = order_id
      new_decisions[decision_fields + 2] = decision
      decision_fields = decision_fields + 2
      fresh = fresh + 1
      customer_entries[fresh] = args[base + 4]
    end
    decisions[k] = decision
  end

  -- Only the entries still there count: an order delivered again with the same customer entry (a retried FCALL)
  -- found that entry deleted by its first decision, and it was added to the stream once.
  if #replayed_entries > 0 then
    local deleted = rcall('XDEL', customers_key, unpack(replayed_entries))
    if deleted > 0 then
      rcall('HINCRBY', state_key, 'replayed', deleted)
    end
  end
  if fresh > 0 then
    rcall('HSET', decisions_key, unpack(new_decisions))
    rcall('XDEL', customers_key, unpack(customer_entries))
    rcall('HSET', state_key, 'left', left, 'completed', completed, 'closed', tallies.closed,
      'duplicate', tallies.duplicate, 'sold_out', tallies.sold_out)
    if sold_out_at and not sale.soldOutAt then
      rcall('HSET', state_key, 'soldOutAt', sold_out_at)
    end
  end
  if buyer_fields > 0 then
    rcall('HSET', buyers_key, unpack(new_buyers))
  end
  if HAS_XACKDEL then
    rcall('XACKDEL', orders_key, group, 'IDS', count, unpack(entry_ids))
  else
    rcall('XACK', orders_key, group, unpack(entry_ids))
    rcall('XDEL', orders_key, unpack(entry_ids))
  end
  return { decisions, replayed }
end

redis.register_function('popup_decide_orders', decide_orders)
