-- Performance samples: raw rows partitioned by day (partitions are made ahead by the rollup job),
-- hourly and daily aggregates with a serialized DDSketch each, and the canonical parameters behind each hash.

CREATE TABLE perf_params (
    tenant      TEXT        NOT NULL,
    params_hash TEXT        NOT NULL,
    params      JSONB       NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, params_hash)
);

CREATE TABLE perf_samples (
    tenant      TEXT             NOT NULL,
    at          TIMESTAMPTZ      NOT NULL,
    tool        TEXT             NOT NULL,
    model       TEXT             NOT NULL,
    provider    TEXT             NOT NULL,
    params_hash TEXT             NOT NULL,
    latency_ms  DOUBLE PRECISION NOT NULL,
    ok          BOOLEAN          NOT NULL,
    error       TEXT,
    tokens_in   INTEGER,
    tokens_out  INTEGER
) PARTITION BY RANGE (at);
CREATE INDEX perf_samples_at ON perf_samples (at);

-- Hours (and days) whose raw samples changed since they were last rolled up. The version moves on with every
-- change, so a rollup removes a marker only if no sample arrived while it was working.
CREATE SEQUENCE perf_dirty_version;
CREATE TABLE perf_dirty_hours (
    hour    TIMESTAMPTZ PRIMARY KEY,
    version BIGINT      NOT NULL
);
CREATE TABLE perf_dirty_days (
    day     TIMESTAMPTZ PRIMARY KEY,
    version BIGINT      NOT NULL
);

CREATE TABLE perf_hourly (
    tenant       TEXT             NOT NULL,
    bucket_start TIMESTAMPTZ      NOT NULL,
    tool         TEXT             NOT NULL,
    model        TEXT             NOT NULL,
    provider     TEXT             NOT NULL,
    params_hash  TEXT             NOT NULL,
    count        BIGINT           NOT NULL,
    error_count  BIGINT           NOT NULL,
    sum_ms       DOUBLE PRECISION NOT NULL,
    min_ms       DOUBLE PRECISION NOT NULL,
    max_ms       DOUBLE PRECISION NOT NULL,
    p50_ms       DOUBLE PRECISION NOT NULL,
    p95_ms       DOUBLE PRECISION NOT NULL,
    p99_ms       DOUBLE PRECISION NOT NULL,
    sketch       BYTEA            NOT NULL,
    PRIMARY KEY (tenant, bucket_start, tool, model, provider, params_hash)
);
CREATE INDEX perf_hourly_bucket ON perf_hourly (bucket_start);

CREATE TABLE perf_daily (LIKE perf_hourly INCLUDING ALL);
