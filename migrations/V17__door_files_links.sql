-- The Supabase door's files and conversation_files, as EXAI's storage module writes them (docs/supabase.md).
-- A files row is EXAI's metadata about an object it uploaded: it names the object by storage_path in the bucket its
-- file_type selects (user_upload: user-files, else generated-files), and that object is an exai-store file. A link
-- ties a conversation (a session, deleted with it) to a files row (deleted with it). Rows are per tenant; the
-- constraints carry the names EXAI's schema gives them, so errors read as they do on Supabase.
CREATE TYPE file_type AS ENUM ('user_upload', 'generated', 'cache');

CREATE TABLE door_files (
    tenant        TEXT        NOT NULL,
    id            UUID        NOT NULL DEFAULT gen_random_uuid(),
    storage_path  TEXT        NOT NULL,
    original_name TEXT        NOT NULL,
    mime_type     TEXT,
    size_bytes    INTEGER,
    file_type     file_type   NOT NULL DEFAULT 'user_upload',
    metadata      JSONB       DEFAULT '{}',
    created_at    TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT door_files_pkey PRIMARY KEY (id),
    CONSTRAINT door_files_tenant_id UNIQUE (tenant, id),
    CONSTRAINT files_storage_path_key UNIQUE (tenant, storage_path)
);

CREATE TABLE door_conversation_files (
    tenant          TEXT        NOT NULL,
    conversation_id UUID        NOT NULL,
    file_id         UUID        NOT NULL,
    added_at        TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT conversation_files_pkey PRIMARY KEY (tenant, conversation_id, file_id),
    CONSTRAINT conversation_files_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES chat_sessions (id) ON DELETE CASCADE,
    CONSTRAINT conversation_files_file_id_fkey FOREIGN KEY (tenant, file_id) REFERENCES door_files (tenant, id) ON DELETE CASCADE
);
CREATE INDEX door_conversation_files_file ON door_conversation_files (tenant, file_id);
CREATE INDEX door_conversation_files_conversation ON door_conversation_files (conversation_id);
