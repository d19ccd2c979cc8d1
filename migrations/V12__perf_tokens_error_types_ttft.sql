-- Performance figures people ask for: token sums, error counts by type, and time to first token for streamed calls
-- (with its own sketch and percentiles). Samples gain error_type and ttft_ms (nullable: instant on the partitioned
-- table); buckets gain the sums, the counts by type (a JSON object: type -> failed calls) and the TTFT figures.
ALTER TABLE perf_samples
    ADD COLUMN error_type TEXT,
    ADD COLUMN ttft_ms    DOUBLE PRECISION;

ALTER TABLE perf_hourly
    ADD COLUMN tokens_in   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN tokens_out  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN error_types JSONB  NOT NULL DEFAULT '{}',
    ADD COLUMN ttft_count  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN ttft_p50_ms DOUBLE PRECISION,
    ADD COLUMN ttft_p95_ms DOUBLE PRECISION,
    ADD COLUMN ttft_p99_ms DOUBLE PRECISION,
    ADD COLUMN ttft_sketch BYTEA;
ALTER TABLE perf_daily
    ADD COLUMN tokens_in   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN tokens_out  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN error_types JSONB  NOT NULL DEFAULT '{}',
    ADD COLUMN ttft_count  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN ttft_p50_ms DOUBLE PRECISION,
    ADD COLUMN ttft_p95_ms DOUBLE PRECISION,
    ADD COLUMN ttft_p99_ms DOUBLE PRECISION,
    ADD COLUMN ttft_sketch BYTEA;

-- Hours still held as raw samples are rolled up again, so their buckets get the token sums (samples always carried
-- tokens_in/tokens_out). Buckets older than the raw retention keep 0 there: their samples are gone.
INSERT INTO perf_dirty_hours (hour, version)
SELECT DISTINCT date_trunc('hour', at, 'UTC'), nextval('perf_dirty_version') FROM perf_samples
ON CONFLICT (hour) DO NOTHING;
