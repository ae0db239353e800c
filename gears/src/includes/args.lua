-- Strict argument parsing: tonumber alone accepts '0x1f', ' 7', 'nan' and 'inf'. Integers must be canonical
-- (no leading zero, no '+') so their text can go into JSON as it is.

local MAX_SAFE_INTEGER = 9007199254740991

-- The integer a decimal string spells, or nil.
local function to_int(text)
  if type(text) ~= 'string' or #text > 17 or (text ~= '0' and not string.find(text, '^%-?[1-9]%d*$')) then
    return nil
  end
  local n = tonumber(text)
  if n > MAX_SAFE_INTEGER or n < -MAX_SAFE_INTEGER then
    return nil
  end
  return n
end

-- Stream ids are checked before any write: a bad one would make XACK fail halfway through a batch, and a
-- function's earlier writes are not rolled back.
local function is_stream_id(text)
  return string.find(text, '^%d+%-%d+$') ~= nil
end
