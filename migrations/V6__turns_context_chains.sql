-- Turns that know their tool, model and files; token counts for every message with running sums, so the context
-- read finds where a token budget starts with one index probe; thread chains and forks; turn caps and sliding expiry.

ALTER TABLE chat_messages
    ADD COLUMN tool_name              TEXT,
    ADD COLUMN model                  TEXT,
    ADD COLUMN provider               TEXT,
    ADD COLUMN input_tokens           INTEGER,
    ADD COLUMN output_tokens          INTEGER,
    ADD COLUMN files                  UUID[],
    ADD COLUMN images                 UUID[],
    ADD COLUMN reasoning              TEXT,
    ADD COLUMN reasoning_token_count  INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN token_count_estimated  BOOLEAN NOT NULL DEFAULT false,
    -- the session's token_count sum over seq 1..this one, and the same with reasoning tokens added
    ADD COLUMN tokens_through         BIGINT,
    ADD COLUMN total_through          BIGINT;

-- Rows from before this version: a count the client never gave is estimated from the UTF-8 length (about four
-- bytes a token for English, three for CJK; new rows are counted by the tokenizer instead) and marked estimated.
UPDATE chat_messages
   SET token_count = ceil(octet_length(content) / 4.0)::int, token_count_estimated = true
 WHERE token_count IS NULL;
UPDATE chat_messages m
   SET tokens_through = r.through, total_through = r.through
  FROM (SELECT id, sum(token_count) OVER (PARTITION BY session_id ORDER BY seq) AS through FROM chat_messages) r
 WHERE r.id = m.id;
ALTER TABLE chat_messages
    ALTER COLUMN token_count SET NOT NULL,
    ALTER COLUMN tokens_through SET NOT NULL,
    ALTER COLUMN total_through SET NOT NULL;

CREATE INDEX chat_messages_tokens_through ON chat_messages (session_id, tokens_through);
CREATE INDEX chat_messages_total_through ON chat_messages (session_id, total_through);
CREATE INDEX chat_messages_tool ON chat_messages (session_id, tool_name, seq) WHERE tool_name IS NOT NULL;
CREATE INDEX chat_messages_model ON chat_messages (session_id, model, seq) WHERE model IS NOT NULL;

ALTER TABLE chat_sessions
    ADD COLUMN tokens_total     BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN reasoning_total  BIGINT  NOT NULL DEFAULT 0,
    -- a continuation: its history is the parent's first parent_seq messages, then its own (ids never change,
    -- so the parent's continuation_id is kept beside its row id for the wire)
    ADD COLUMN parent_id        UUID    REFERENCES chat_sessions (id),
    ADD COLUMN parent_continuation_id TEXT,
    ADD COLUMN parent_seq       INTEGER,
    ADD COLUMN depth            INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN max_messages     INTEGER,
    ADD COLUMN ttl_seconds      BIGINT,
    ADD COLUMN ttl_sliding      BOOLEAN NOT NULL DEFAULT false;

UPDATE chat_sessions s
   SET tokens_total = t.total
  FROM (SELECT session_id, sum(token_count) AS total FROM chat_messages GROUP BY session_id) t
 WHERE t.session_id = s.id;

CREATE INDEX chat_sessions_parent ON chat_sessions (parent_id) WHERE parent_id IS NOT NULL;

-- Token counts of the text a provider extracted from a file, for the files a context read lists.
ALTER TABLE file_providers ADD COLUMN extracted_tokens INTEGER;
UPDATE file_providers SET extracted_tokens = ceil(octet_length(extracted_text) / 4.0)::int WHERE extracted_text IS NOT NULL;
