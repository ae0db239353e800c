-- Stream entries in the wire format the transport shares (libs/contracts): v, data (JSON), then the trace
-- context when the order carried one, so a completion record continues the order's trace.
local CONTRACT_VERSION = '1'

local function xadd_entry(stream_key, data, traceparent, tracestate)
  if traceparent == '' then
    return rcall('XADD', stream_key, '*', 'v', CONTRACT_VERSION, 'data', data)
  end
  if tracestate == '' then
    return rcall('XADD', stream_key, '*', 'v', CONTRACT_VERSION, 'data', data, 'traceparent', traceparent)
  end
  return rcall('XADD', stream_key, '*', 'v', CONTRACT_VERSION, 'data', data,
    'traceparent', traceparent, 'tracestate', tracestate)
end
