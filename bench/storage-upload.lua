-- wrk script: upload a 64 KiB object through the Supabase door's Storage (POST /storage/v1/object/bench/<name>, a raw
-- body as supabase-js sends a Buffer), each request a new name in the bucket bench/seed makes, so each adds one file
-- row naming the same blob: the same work as upload.lua's native POST /files, through the door.
local key = os.getenv("BENCH_KEY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["apikey"] = key
wrk.body = string.rep("exai-store upload benchmark bytes ", 2000):sub(1, 65536)

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, string.format("/storage/v1/object/bench/%d-%d-%d.bin", os.time(), tid, n))
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
