-- The waiting room of a sale (docs/waiting-room.md): a line of customers admitted in order at a rate.
-- Keys, all under the sale's hash tag:
--   room       hash: settings (on, rate, timeoutMs, admitMs, autoFloor, auto), progress (seq, lastTickAt, credit,
--              arrivals, arrivalsSince, ...), counters (joined, admitted, abandoned, estErrSum, estSamples), autoOnAt
--   line       sorted set: customerId -> position (1, 2, ...); the smallest positions are admitted first
--   seen       sorted set: customerId -> when the customer was last heard of (ms); silent ones lose their place
--   early      set: customers who arrived before the opening, shuffled into the line at the opening
--   admitted   hash: customerId -> when it was admitted (ms); an admission lasts admitMs
--   estimates  hash: customerId -> '<placedAt>:<estimatedAdmitAt>', to measure the estimate's error
-- The sale comes as arguments, from the caller's reading of popup_sale_status (customer-intake's snapshot, at most
-- STATUS_REFRESH_MS old), not from its state hash: an FCALL needs write access to every key it names, and
-- customer-intake may only read the sale's state. The gears still decide every order from the state itself.
-- Needs: rcall, now_ms, to_int (args), phase_of (sale_state).

local ROOM_DEFAULTS = { on = '0', rate = 0, timeoutMs = 30000, admitMs = 120000, autoFloor = 100, auto = 0 }
-- Work per call stays bounded however long the line: what is left is done by the next call.
local SHUFFLE_PER_TICK = 10000
local ABANDON_PER_TICK = 1000
local ADMIT_PER_TICK = 1000
-- An admission rate derived from the decisions measured: a tenth above them, so the rate can grow while the
-- pipeline keeps up, and follows it down when it does not.
local AUTO_HEADROOM = 1.1
local RATE_SAMPLE_MS = 1000
-- While the line waits and the pipeline keeps up (its backlog under a quarter second of decisions, or 100), the
-- derived rate doubles each second instead: it is derived from the decisions its own admissions cause, so by the
-- headroom alone it would grow a tenth a second and take a minute to find the pipeline's pace.
local SLOW_START = 2
local KEPT_UP_BACKLOG = 100
local KEPT_UP_SHARE = 0.25

local ROOM_FIELDS = { 'on', 'rate', 'timeoutMs', 'admitMs', 'autoFloor', 'seq', 'lastTickAt', 'credit', 'shuffled',
  'shuffleNext', 'closed', 'autoRate', 'lastDecided', 'lastRateAt', 'joined', 'admitted', 'abandoned', 'estErrSum',
  'estSamples', 'auto', 'arrivals', 'arrivalsSince', 'autoOnAt', 'lastAdmitted' }

local function read_room(room_key)
  local values = rcall('HMGET', room_key, unpack(ROOM_FIELDS))
  local room = {}
  for i, field in ipairs(ROOM_FIELDS) do
    local default = ROOM_DEFAULTS[field]
    if field == 'on' then
      room.on = values[i] or default
    else
      room[field] = tonumber(values[i]) or default or 0
    end
  end
  return room
end

-- Admissions per second now: the operator's rate, or the one derived from the decisions measured.
local function effective_rate(room)
  if room.rate > 0 then
    return room.rate
  end
  return math.max(room.autoFloor, room.autoRate)
end

-- The number of sale arguments popup_room_join and popup_room_watch take first.
local SALE_ARGS = 6

-- The sale from its arguments (state, startsAt, endsAt, left, decided, backlog; startsAt -1: not configured;
-- backlog -1: not known), as read_sale gives it, or nil and the problem.
local function sale_from_args(state, starts_at_text, ends_at_text, left_text, decided_text, backlog_text)
  local starts_at, ends_at, left, decided = to_int(starts_at_text), to_int(ends_at_text), to_int(left_text),
    to_int(decided_text)
  local backlog = to_int(backlog_text)
  if not backlog or backlog < -1 then
    return nil, "the sale's backlog must be an integer >= -1, got " .. tostring(backlog_text)
  end
  if state ~= 'open' and state ~= 'closed' then
    return nil, "the sale's state must be 'open' or 'closed', got " .. tostring(state)
  end
  if not starts_at or not ends_at or not left or not decided or decided < 0 then
    return nil, "the sale's startsAt, endsAt, left and decided must be integers"
  end
  local configured = starts_at >= 0
  return { configured = configured, state = state, startsAt = configured and starts_at or nil,
    endsAt = configured and ends_at or nil, left = left, decided = decided, backlog = backlog >= 0 and backlog or nil }
end

-- Places `customer` at `position` with the estimate of when it will be admitted.
local function place(k, room, customer, position, now)
  rcall('ZADD', k.line, position, customer)
  local ahead = rcall('ZRANK', k.line, customer)
  local estimate = now + math.ceil((ahead + 1) * 1000 / effective_rate(room))
  rcall('HSET', k.estimates, customer, now .. ':' .. estimate)
end

-- Measures the decisions per second once a second, for a rate derived from them; adds the fields to `updates`.
-- A tenth above the decisions; doubled instead while customers wait, the last second's admissions used most of
-- the rate, and the sale's backlog (when the caller knows it) says the pipeline keeps up.
local function sample_rate(k, room, sale, now, updates)
  if room.autoRate ~= 0 and now - room.lastRateAt < RATE_SAMPLE_MS then
    return
  end
  local decided = sale.decided
  if room.lastRateAt > 0 then
    local seconds = (now - room.lastRateAt) / 1000
    local measured = (decided - room.lastDecided) / seconds
    local following = math.ceil(measured * AUTO_HEADROOM)
    local rate = effective_rate(room)
    local admitted = (room.admitted - room.lastAdmitted) / seconds
    local kept_up = sale.backlog ~= nil and sale.backlog <= math.max(KEPT_UP_BACKLOG, measured * KEPT_UP_SHARE)
    if kept_up and admitted >= rate * 0.8 and rcall('ZCARD', k.line) > 0 then
      room.autoRate = math.max(following, rate * SLOW_START)
    else
      room.autoRate = following
    end
  end
  room.lastDecided, room.lastRateAt, room.lastAdmitted = decided, now, room.admitted
  table.insert(updates, 'autoRate'); table.insert(updates, room.autoRate)
  table.insert(updates, 'lastDecided'); table.insert(updates, decided)
  table.insert(updates, 'lastRateAt'); table.insert(updates, now)
  table.insert(updates, 'lastAdmitted'); table.insert(updates, room.admitted)
end

-- With `auto` set, a room that is off adds up the order requests every intake reports (`arrivals`, since its last
-- watch) and turns itself on once they pass the admission rate: more than a second's admissions within a second,
-- or more than the rate over a longer window. A window of a second without that starts the count again.
local function auto_switch(k, room, sale, arrivals, now)
  if room.auto ~= 1 or room.on == '1' or room.closed == 1 then
    return
  end
  local phase = phase_of(sale, now)
  if phase == 'sold_out' or phase == 'ended' then
    return
  end
  local updates = {}
  sample_rate(k, room, sale, now, updates)
  local since = room.arrivalsSince > 0 and room.arrivalsSince or now
  local count = room.arrivals + arrivals
  local elapsed = now - since
  if count * 1000 > effective_rate(room) * math.max(elapsed, RATE_SAMPLE_MS) then
    -- Admission credit starts from now: the crowd that tripped the switch gets the line, not a burst of passes.
    room.on, room.lastTickAt, room.credit, room.autoOnAt = '1', 0, 0, now
    table.insert(updates, 'on'); table.insert(updates, '1')
    table.insert(updates, 'autoOnAt'); table.insert(updates, now)
    table.insert(updates, 'lastTickAt'); table.insert(updates, 0)
    table.insert(updates, 'credit'); table.insert(updates, 0)
    count, since = 0, now
  elseif elapsed >= RATE_SAMPLE_MS then
    count, since = 0, now
  end
  room.arrivals, room.arrivalsSince = count, since
  table.insert(updates, 'arrivals'); table.insert(updates, count)
  table.insert(updates, 'arrivalsSince'); table.insert(updates, since)
  rcall('HSET', k.room, unpack(updates))
end

-- Brings the room up to `now`: closes the line at the sell-out or the end, shuffles the early arrivals in at the
-- opening, drops the customers not heard of for timeoutMs, and admits the head of the line at the rate.
-- Returns the sale's phase. Every step is bounded; each call does the part that is due.
local function room_tick(k, room, sale, now)
  local phase = phase_of(sale, now)
  if room.on ~= '1' or room.closed == 1 then
    return phase
  end
  if phase == 'sold_out' or phase == 'ended' then
    -- Everyone in line is told at once (every answer from now says closed); the line itself goes.
    rcall('HSET', k.room, 'closed', 1, 'closedAt', now)
    room.closed = 1
    rcall('DEL', k.line, k.seen, k.early, k.estimates)
    return phase
  end

  local updates = {}
  sample_rate(k, room, sale, now, updates)

  local shuffling = false
  if phase ~= 'scheduled' and phase ~= 'unconfigured' then
    if room.shuffled == 0 then
      -- The opening: positions 1..n (after whoever is placed already) are the early arrivals', in random order.
      local early = rcall('SCARD', k.early)
      room.shuffleNext, room.seq, room.shuffled = room.seq, room.seq + early, 1
      table.insert(updates, 'shuffled'); table.insert(updates, 1)
      table.insert(updates, 'seq'); table.insert(updates, room.seq)
    end
    -- SPOP takes a uniformly random member: popping one at a time deals the early arrivals a random order.
    for _ = 1, SHUFFLE_PER_TICK do
      local customer = rcall('SPOP', k.early)
      if not customer then
        break
      end
      room.shuffleNext = room.shuffleNext + 1
      place(k, room, customer, room.shuffleNext, now)
    end
    table.insert(updates, 'shuffleNext'); table.insert(updates, room.shuffleNext)
    shuffling = rcall('SCARD', k.early) > 0
  end

  local silent = rcall('ZRANGEBYSCORE', k.seen, '-inf', now - room.timeoutMs, 'LIMIT', 0, ABANDON_PER_TICK)
  if #silent > 0 then
    local gone = 0
    for _, customer in ipairs(silent) do
      gone = gone + rcall('ZREM', k.line, customer) + rcall('SREM', k.early, customer)
    end
    rcall('ZREM', k.seen, unpack(silent))
    rcall('HDEL', k.estimates, unpack(silent))
    rcall('HINCRBY', k.room, 'abandoned', gone)
  end

  -- Admission credit accrues in thousandths of an admission per ms; at most a second's worth is kept, so an
  -- empty line does not bank admissions for a later crowd.
  local rate = effective_rate(room)
  local credit = room.credit
  -- From the opening on only: time spent waiting for it earns nothing.
  local since = math.max(room.lastTickAt, sale.startsAt or 0)
  if phase == 'open' and not shuffling and room.lastTickAt > 0 and now > since then
    credit = math.min(credit + rate * (now - since), rate * 1000)
  end
  local due = math.min(math.floor(credit / 1000), ADMIT_PER_TICK)
  if due > 0 then
    local head = rcall('ZPOPMIN', k.line, due)
    local admitted = #head / 2
    local err_sum = 0
    for i = 1, #head, 2 do
      local customer = head[i]
      rcall('HSET', k.admitted, customer, now)
      local estimate = rcall('HGET', k.estimates, customer)
      if estimate then
        local placed_at, estimated_at = string.match(estimate, '^(%d+):(%d+)$')
        local waited = now - tonumber(placed_at)
        local expected = tonumber(estimated_at) - tonumber(placed_at)
        -- The error relative to the wait, with waits under a second counted as a second (noise, not error).
        err_sum = err_sum + math.floor(math.abs(waited - expected) * 1000000 / math.max(waited, 1000))
      end
      rcall('ZREM', k.seen, customer)
      rcall('HDEL', k.estimates, customer)
    end
    if admitted > 0 then
      rcall('HINCRBY', k.room, 'admitted', admitted)
      rcall('HINCRBY', k.room, 'estErrSum', err_sum)
      rcall('HINCRBY', k.room, 'estSamples', admitted)
    end
    -- What the line could not use is not kept: admissions are for customers waiting now.
    credit = admitted < due and 0 or credit - due * 1000
  end
  table.insert(updates, 'credit'); table.insert(updates, credit)
  table.insert(updates, 'lastTickAt'); table.insert(updates, now)
  rcall('HSET', k.room, unpack(updates))
  return phase
end

-- Where `customer` is: 'admitted' (with when its admission lapses, ms), 'waiting' (with the number ahead), 'early' (before
-- the opening, or not yet shuffled in), or 'none'. An admission older than admitMs is dropped: 'none' again.
local function whereabouts(k, room, customer, now)
  local admitted_at = tonumber(rcall('HGET', k.admitted, customer))
  if admitted_at then
    if now - admitted_at < room.admitMs then
      return 'admitted', admitted_at + room.admitMs
    end
    rcall('HDEL', k.admitted, customer)
  end
  local ahead = rcall('ZRANK', k.line, customer)
  if ahead then
    return 'waiting', ahead
  end
  if rcall('SISMEMBER', k.early, customer) == 1 then
    return 'early', -1
  end
  return 'none', -1
end
