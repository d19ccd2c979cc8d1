-- wrk script: the Supabase door's append, as supabase-py sends EXAI's save_message without a key: one message row to
-- one of the bench sessions (BENCH_SESSION_IDS, their uuids, which bench/ab reads after seeding), chosen at random.
local ids = {}
for id in string.gmatch(os.getenv("BENCH_SESSION_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local key = os.getenv("BENCH_KEY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["apikey"] = key
wrk.headers["Prefer"] = "return=representation"

request = function()
  local body = '{"conversation_id":"' .. ids[math.random(1, #ids)] .. '","role":"user","content":"benchmark message with a'
    .. ' little text in it, about as long as a short chat turn","metadata":{}}'
  return wrk.format(nil, "/rest/v1/messages", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
