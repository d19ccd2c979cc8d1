-- Streamed answers (docs/API.md, "Streamed answers"): an assistant message opened with status 'streaming' takes its
-- seq at once and receives its text as numbered pieces. Each piece is one row of message_chunks, written once; the
-- message's text while it streams is the concatenation of its contiguous pieces from index 0, assembled when read,
-- so storing an answer of n pieces writes n small rows and never rewrites a growing value. Completion writes the text
-- into chat_messages once, counts its tokens into the running sums and drops the pieces.
ALTER TABLE chat_messages
    ADD COLUMN status            TEXT NOT NULL DEFAULT 'complete'
        CONSTRAINT chat_messages_status CHECK (status IN ('streaming', 'complete', 'incomplete')),
    ADD COLUMN finish_reason     TEXT,
    ADD COLUMN chunks_received   INTEGER,
    ADD COLUMN chunks_contiguous INTEGER,
    ADD COLUMN last_chunk_at     TIMESTAMPTZ;

-- the idle-expiry job's probe: only open answers are in it. Keyed by a column a piece never changes (not
-- last_chunk_at), so the update each request of pieces makes to its answer's row can stay a heap-only (HOT) update
-- that touches no index
CREATE INDEX chat_messages_streaming ON chat_messages (session_id) WHERE status = 'streaming';

CREATE TABLE message_chunks (
    message_id UUID    NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL CHECK (idx >= 0),
    content    TEXT    NOT NULL,
    reasoning  TEXT,
    PRIMARY KEY (message_id, idx)
);
