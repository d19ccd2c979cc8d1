-- wrk script: append one message to one of BENCH_SESSIONS sessions, chosen at random per request. With
-- BENCH_TOKEN_COUNT set the message carries its token_count, so the service does not count it.
local sessions = tonumber(os.getenv("BENCH_SESSIONS") or "64")
local key = os.getenv("BENCH_KEY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
local counted = os.getenv("BENCH_TOKEN_COUNT")
wrk.body = '{"role":"user","content":"benchmark message with a little text in it, about as long as a short chat turn"'
  .. (counted and (',"token_count":' .. counted) or '') .. '}'

request = function()
  return wrk.format(nil, "/sessions/bench-" .. math.random(1, sessions) .. "/messages")
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
