-- Upgrades the legacy conversation tables in place to what the HTTP contract needs:
-- tenants, per-session gapless seq, message counts, expiry, token counts, idempotency keys, full-text search.
-- Existing rows are kept: they belong to the tenant named by the legacy_tenant placeholder,
-- and existing messages are numbered by created_at within their session.

-- Sessions ------------------------------------------------------------------------------------------
ALTER TABLE chat_sessions ALTER COLUMN id SET DEFAULT gen_random_uuid();
ALTER TABLE chat_sessions
    ADD COLUMN tenant        TEXT,
    ADD COLUMN title         TEXT,
    ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN version       BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN expires_at    TIMESTAMPTZ;

ALTER TABLE chat_sessions
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

UPDATE chat_sessions SET
    tenant     = '${legacy_tenant}',
    metadata   = COALESCE(metadata, '{}'::jsonb),
    created_at = COALESCE(created_at, NOW()),
    updated_at = COALESCE(updated_at, created_at, NOW());

ALTER TABLE chat_sessions
    ALTER COLUMN tenant     SET NOT NULL,
    ALTER COLUMN metadata   SET DEFAULT '{}'::jsonb,
    ALTER COLUMN metadata   SET NOT NULL,
    ALTER COLUMN created_at SET NOT NULL,
    ALTER COLUMN updated_at SET NOT NULL;

-- continuation_id is unique per tenant, no longer globally.
DO $$
DECLARE c RECORD;
BEGIN
    FOR c IN SELECT con.conname FROM pg_constraint con
             WHERE con.conrelid = 'chat_sessions'::regclass AND con.contype = 'u'
               AND con.conkey = ARRAY[(SELECT attnum FROM pg_attribute
                                       WHERE attrelid = 'chat_sessions'::regclass AND attname = 'continuation_id')]
    LOOP
        EXECUTE format('ALTER TABLE chat_sessions DROP CONSTRAINT %I', c.conname);
    END LOOP;
END $$;

CREATE UNIQUE INDEX chat_sessions_tenant_continuation_id ON chat_sessions (tenant, continuation_id);
CREATE INDEX chat_sessions_tenant_recent ON chat_sessions (tenant, updated_at DESC, id DESC);
CREATE INDEX chat_sessions_tenant_user_recent ON chat_sessions (tenant, user_id, updated_at DESC, id DESC);
CREATE INDEX chat_sessions_expiry ON chat_sessions (expires_at) WHERE expires_at IS NOT NULL;

-- Messages ------------------------------------------------------------------------------------------
-- Messages that belong to no session cannot be served; they are kept aside rather than deleted.
CREATE TABLE chat_messages_orphaned AS SELECT * FROM chat_messages WHERE session_id IS NULL;
DELETE FROM chat_messages WHERE session_id IS NULL;

ALTER TABLE chat_messages ALTER COLUMN id SET DEFAULT gen_random_uuid();
ALTER TABLE chat_messages
    ADD COLUMN seq         BIGINT,
    ADD COLUMN token_count INTEGER;
ALTER TABLE chat_messages
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';

UPDATE chat_messages m SET
    seq        = numbered.seq,
    metadata   = COALESCE(m.metadata, '{}'::jsonb),
    created_at = COALESCE(m.created_at, NOW())
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY created_at NULLS FIRST, id) AS seq
      FROM chat_messages) numbered
WHERE m.id = numbered.id;

ALTER TABLE chat_messages
    ALTER COLUMN session_id SET NOT NULL,
    ALTER COLUMN seq        SET NOT NULL,
    ALTER COLUMN metadata   SET DEFAULT '{}'::jsonb,
    ALTER COLUMN metadata   SET NOT NULL,
    ALTER COLUMN created_at SET NOT NULL;

-- The unique index is both the seq guard and the index every history read walks.
CREATE UNIQUE INDEX chat_messages_session_seq ON chat_messages (session_id, seq);

UPDATE chat_sessions s SET message_count = counted.n
FROM (SELECT session_id, COUNT(*) AS n FROM chat_messages GROUP BY session_id) counted
WHERE s.id = counted.session_id;

-- Full-text search. The text is cut at 256 KiB so a 1 MiB message never exceeds tsvector's size limit.
ALTER TABLE chat_messages
    ADD COLUMN search_vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', left(content, 262144))) STORED;
CREATE INDEX chat_messages_search ON chat_messages USING GIN (search_vector);

-- Idempotency keys of appends, scoped to a session (and so to its tenant).
CREATE TABLE message_idempotency_keys (
    session_id   UUID        NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    key          TEXT        NOT NULL,
    request_hash BYTEA       NOT NULL,
    first_seq    BIGINT      NOT NULL DEFAULT 0,
    last_seq     BIGINT      NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (session_id, key)
);
CREATE INDEX message_idempotency_keys_age ON message_idempotency_keys (created_at);

-- The cache generation: Redis keys carry it, and it moves on whenever Redis may have missed a write.
-- store_id tells this database's keys from those of another database sharing the same Redis.
CREATE TABLE cache_generation (
    id         BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    store_id   TEXT   NOT NULL DEFAULT substr(md5(random()::text || clock_timestamp()::text), 1, 10),
    generation BIGINT NOT NULL
);
INSERT INTO cache_generation (generation) VALUES (1);
