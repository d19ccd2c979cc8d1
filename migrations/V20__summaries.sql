-- Summaries (docs/API.md, "Summaries"): text that stands in for a session's history through one of its messages. A
-- redaction of a message a summary covers makes it stale in the same transaction: its content is wiped and no read
-- serves it again. Owned by the summary room; a session's deletion deletes its summaries.
CREATE TABLE summaries (
    id                    UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant                TEXT        NOT NULL,
    session_id            UUID        NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    continuation_id       TEXT        NOT NULL,
    through_seq           INTEGER     NOT NULL CHECK (through_seq >= 1),
    content               TEXT,
    token_count           INTEGER     NOT NULL CHECK (token_count >= 0),
    -- the running token sums of the session through through_seq (without and with reasoning), as chat_messages keeps
    -- them: they never change, so a context read finds the summary that fits with one query
    tokens_through        BIGINT      NOT NULL,
    total_through         BIGINT      NOT NULL,
    token_count_estimated BOOLEAN     NOT NULL,
    model                 TEXT,
    metadata              JSONB,
    stale                 BOOLEAN     NOT NULL DEFAULT false,
    idempotency_key       TEXT,
    request_hash          BYTEA,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (stale OR content IS NOT NULL)
);
CREATE INDEX summaries_live ON summaries (tenant, continuation_id, through_seq DESC) WHERE NOT stale;
CREATE INDEX summaries_listed ON summaries (session_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX summaries_keys ON summaries (session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
