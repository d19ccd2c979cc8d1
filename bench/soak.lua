-- wrk script for bench/soak: a mix of appends (40%), cached reads of the newest 50 (40%) and context reads (20%)
-- over BENCH_SESSIONS sessions; each connection waits SOAK_DELAY_MS between requests (0: as fast as it can), which
-- is how bench/soak holds the load at a chosen rate.
local sessions = tonumber(os.getenv("BENCH_SESSIONS") or "32")
local key = os.getenv("BENCH_KEY")
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local append = '{"role":"user","content":"soak message with a little text in it, about as long as a short chat turn"}'

request = function()
  local session = "/sessions/soak-" .. math.random(1, sessions)
  local pick = math.random()
  local headers = { ["Authorization"] = "Bearer " .. key }
  if pick < 0.4 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", session .. "/messages?create=true", headers, append)
  elseif pick < 0.8 then
    return wrk.format("GET", session .. "/messages?last=50", headers)
  end
  return wrk.format("GET", session .. "/context?max_tokens=2000", headers)
end

delay = function()
  return pause
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
