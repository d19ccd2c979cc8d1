-- wrk script: read the newest 50 messages of the seeded session (served from the cache).
local key = os.getenv("BENCH_KEY")
wrk.headers["Authorization"] = "Bearer " .. key
wrk.path = "/sessions/bench-read/messages?last=50"

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
