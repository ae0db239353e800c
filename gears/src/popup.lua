#!lua name=popup
-- The popup library: a flash sale's order decisions, made atomically inside Redis.
-- Every function takes the keys of one sale, all under the hash tag {sale:<id>} (docs/keys.md), so a call
-- stays on one cluster slot. gears/tools/flatten.cjs inlines the includes below and stamps VERSION with a hash
-- of the result; loadGears (libs/gears-client) replaces the loaded library only when that hash differs.
local VERSION = '__POPUP_VERSION__'
-- redis.call exists only while a function runs, not while the library loads: look it up at call time.
local function rcall(...)
  return redis.call(...)
end

--- @include "functions/version"
--- @include "functions/configure_sale"
--- @include "functions/set_sale_state"
--- @include "functions/sale_status"
--- @include "functions/decide_orders"
--- @include "functions/take_order"
--- @include "functions/audit_claims"
--- @include "functions/room_configure"
--- @include "functions/room_join"
--- @include "functions/room_watch"
--- @include "functions/room_status"
