-- wrk script: download the file BENCH_FILE (an id) whole (bench/ab uploads a 1 MiB file on each side for it).
local key = os.getenv("BENCH_KEY")
wrk.headers["Authorization"] = "Bearer " .. key
wrk.path = "/files/" .. os.getenv("BENCH_FILE") .. "/content"

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
