-- Files: metadata rows per tenant, content-addressed blobs shared by every file with the same bytes,
-- and what each model provider made of a file (its file id, its extracted text).

CREATE TABLE blobs (
    sha256     TEXT        PRIMARY KEY,
    size       BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE files (
    id           UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant       TEXT        NOT NULL,
    filename     TEXT        NOT NULL,
    content_type TEXT        NOT NULL,
    size         BIGINT      NOT NULL,
    sha256       TEXT        NOT NULL REFERENCES blobs (sha256),
    session_id   TEXT,
    purpose      TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX files_tenant_recent ON files (tenant, created_at DESC, id DESC);
CREATE INDEX files_tenant_session ON files (tenant, session_id, created_at DESC, id DESC) WHERE session_id IS NOT NULL;
CREATE INDEX files_sha256 ON files (sha256);

CREATE TABLE file_providers (
    file_id          UUID        NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    provider         TEXT        NOT NULL,
    provider_file_id TEXT        NOT NULL,
    uploaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    extracted_text   TEXT,
    extracted_at     TIMESTAMPTZ,
    PRIMARY KEY (file_id, provider)
);

-- Idempotency keys of uploads, scoped to the tenant.
CREATE TABLE file_idempotency_keys (
    tenant       TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    request_hash TEXT        NOT NULL,
    file_id      UUID        NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, key)
);
