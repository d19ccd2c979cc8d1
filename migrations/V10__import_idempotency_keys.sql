-- Idempotency keys of session imports: a retry with the same key and body answers the session the first one made.
-- Scoped to the tenant (an import has no session yet); forgotten with the message keys after their retention.
CREATE TABLE import_idempotency_keys (
    tenant          TEXT        NOT NULL,
    key             TEXT        NOT NULL,
    request_hash    BYTEA       NOT NULL,
    continuation_id TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, key)
);
CREATE INDEX import_idempotency_keys_created ON import_idempotency_keys (created_at);
