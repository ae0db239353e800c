-- The library's error replies: a stable code first (mapped by GearsErrorCode in libs/gears-client), then detail.
-- Returned, not raised: error() would append the script position to the message.
local ERR_BAD_ARG = 'ERR_POPUP_BAD_ARG'
local ERR_NO_SALE = 'ERR_POPUP_NO_SALE'
local ERR_SALE_STARTED = 'ERR_POPUP_SALE_STARTED'

local function fail(code, detail)
  return redis.error_reply(code .. ' ' .. detail)
end
