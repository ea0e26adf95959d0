-- Realistic POST /api/events bodies for wrk: many sessions, pages, countries.
-- BATCH (env) > 1 sends arrays of that many events.
local countries = { "US", "IN", "DE", "GB", "FR", "BR", "JP", "ES", "CA", "NL", "IT", "AU" }
local devices = { "desktop", "mobile", "tablet" }
local batch = tonumber(os.getenv("BATCH") or "1")
local path = os.getenv("EVENTS_PATH") or "/api/events"
local counter = 0

local function event()
  counter = counter + 1
  local session = (counter * 7919) % 100000
  return string.format(
    '{"type":"pageview","page":"/products/%d","session_id":"session-%d","site":"site-%d","country":"%s","title":"Product page","metadata":{"device":"%s","referrer":"https://www.google.com/"}}',
    counter % 997, session, session % 5, countries[session % 12 + 1], devices[session % 3 + 1])
end

request = function()
  local body
  if batch > 1 then
    local parts = {}
    for i = 1, batch do parts[i] = event() end
    body = "[" .. table.concat(parts, ",") .. "]"
  else
    body = event()
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"non2xx\":%d,\"socket_errors\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
