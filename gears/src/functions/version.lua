-- popup_version: the version of the loaded library, so a loader replaces it only when its own differs.
-- Read-only (no-writes).
-- KEYS: none.
-- ARGV: none.
-- Returns: the version string (a hash of the flattened source).
-- Errors: none.

local function version()
  return VERSION
end

redis.register_function {
  function_name = 'popup_version',
  callback = version,
  flags = { 'no-writes' },
}
