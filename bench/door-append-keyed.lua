-- wrk script: the Supabase door's append as EXAI's save_message sends it: one message row with its created_at and an
-- idempotency_key (new on every request, so each is stored), upserted with on_conflict=idempotency_key and
-- resolution=ignore-duplicates, to one of the bench sessions (BENCH_SESSION_IDS, their uuids).
local ids = {}
for id in string.gmatch(os.getenv("BENCH_SESSION_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local key = os.getenv("BENCH_KEY")
local thread_tag = tostring(math.random(1, 1e9))
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["apikey"] = key
wrk.headers["Prefer"] = "return=representation,resolution=ignore-duplicates"

request = function()
  n = n + 1
  local body = '{"conversation_id":"' .. ids[math.random(1, #ids)] .. '","role":"user","content":"benchmark message with a'
    .. ' little text in it, about as long as a short chat turn","metadata":{},"created_at":"2026-12-07T10:00:00.123456",'
    .. '"idempotency_key":"' .. thread_tag .. '-' .. n .. '-' .. math.random(1, 1e9) .. '"}'
  return wrk.format(nil, "/rest/v1/messages?on_conflict=idempotency_key", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
