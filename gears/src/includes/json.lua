-- JSON for the records the library writes, built by concatenation: cjson.encode of a table per order costs
-- more than the rest of a decision. Only strings that need no escaping are concatenated.

-- A JSON string literal for text.
local function json_string(text)
  if string.find(text, '[%c"\\]') then
    return cjson.encode(text)
  end
  return '"' .. text .. '"'
end
