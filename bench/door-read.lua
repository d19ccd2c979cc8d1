-- wrk script: the Supabase door's read of 50 rows, as supabase-py sends EXAI's get_conversation_messages: the
-- bench-read session's messages (BENCH_READ_ID, its uuid) ordered by created_at.
local key = os.getenv("BENCH_KEY")
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["apikey"] = key
wrk.path = "/rest/v1/messages?select=*&conversation_id=eq." .. os.getenv("BENCH_READ_ID") .. "&order=created_at.asc"

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
