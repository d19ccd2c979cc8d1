-- wrk script: pieces of streamed answers. bench/seed opens 64 answers, seqs 1..64 of session bench-stream; this
-- script writes to the first BENCH_ANSWERS of them (default 32), each wrk thread to its own share, cycling through
-- them, each answer's pieces numbered 0, 1, 2, ... in the order they are sent, BENCH_STREAM_BATCH pieces a request
-- (default 1). A result line's rps counts requests: pieces/s is rps times the batch.
local key = os.getenv("BENCH_KEY")
local answers = tonumber(os.getenv("BENCH_ANSWERS") or "32")
local batch = tonumber(os.getenv("BENCH_STREAM_BATCH") or "1")
local piece = "a few words of an answer "
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  mine = {}
  next_index = {}
  for a = 1, answers do
    if (a - 1) % threads_total() == id then
      table.insert(mine, a)
      next_index[a] = 0
    end
  end
  turn = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function threads_total()
  return tonumber(os.getenv("BENCH_THREADS") or "2")
end

request = function()
  turn = turn % #mine + 1
  local a = mine[turn]
  local parts = {}
  for i = 1, batch do
    parts[i] = '{"index":' .. next_index[a] .. ',"content":"' .. piece .. '"}'
    next_index[a] = next_index[a] + 1
  end
  return wrk.format(nil, "/sessions/bench-stream/messages/" .. a .. "/chunks", nil, "[" .. table.concat(parts, ",") .. "]")
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
