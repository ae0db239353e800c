-- Redis 7 replicates functions by their effects, so reading the server clock here is safe for replicas and AOF.
local function now_ms()
  local time = rcall('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
