-- popup_set_sale_state: the operator's switch. A closed sale rejects every order as 'closed', whatever the window.
-- KEYS[1] state  {sale:<id>}:state hash
-- ARGV[1] state  'open' or 'closed'
-- Returns: the state before the call.
-- Errors: ERR_POPUP_BAD_ARG (not 'open' or 'closed'), ERR_POPUP_NO_SALE (never configured).
--- @include "../includes/errors"

local function set_sale_state(keys, args)
  local state_key = keys[1]
  if #keys ~= 1 or #args ~= 1 then
    return fail(ERR_BAD_ARG, 'popup_set_sale_state takes 1 key and 1 argument')
  end
  local state = args[1]
  if state ~= 'open' and state ~= 'closed' then
    return fail(ERR_BAD_ARG, "state must be 'open' or 'closed', got " .. state)
  end
  local before = rcall('HGET', state_key, 'state')
  if not before then
    return fail(ERR_NO_SALE, 'sale ' .. state_key .. ' is not configured')
  end
  rcall('HSET', state_key, 'state', state)
  return before
end

redis.register_function('popup_set_sale_state', set_sale_state)
