-- wrk script: download the file BENCH_FILE (an id) whole.
local key = os.getenv("BENCH_KEY")
wrk.headers["Authorization"] = "Bearer " .. key
wrk.path = "/files/" .. os.getenv("BENCH_FILE") .. "/content"
