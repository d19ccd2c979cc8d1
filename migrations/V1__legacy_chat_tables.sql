-- EXAI's original conversation tables, as its own databases already hold them.
-- On a database that has them, this is a no-op (Flyway baselines at version 0 and runs it);
-- on an empty one it creates them, so every database continues from the same shape in V2.
CREATE TABLE IF NOT EXISTS chat_sessions (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    continuation_id TEXT UNIQUE NOT NULL,
    created_at      TIMESTAMP DEFAULT NOW(),
    updated_at      TIMESTAMP DEFAULT NOW(),
    user_id         TEXT,
    metadata        JSONB
);

CREATE TABLE IF NOT EXISTS chat_messages (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id UUID REFERENCES chat_sessions(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT NOW(),
    metadata   JSONB
);
