-- wrk script: upload a 64 KiB file as a raw body with ?filename= (the streamed upload route: admission, hashing,
-- the write to the uploads directory, the rows). Every upload names the same bytes, so the blob is stored once and
-- each request adds one file row, as EXAI uploading the same attachment to new sessions would.
local key = os.getenv("BENCH_KEY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.body = string.rep("exai-store upload benchmark bytes ", 2000):sub(1, 65536)

request = function()
  return wrk.format(nil, "/files?filename=bench.bin&purpose=bench")
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
