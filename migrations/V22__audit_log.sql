-- The audit trail: one row for every destructive or security act, written in the act's own transaction or statement
-- (an act whose row cannot be written does not happen). No route changes or deletes rows; only the retention purge
-- (EXAI_STORE_AUDIT_RETENTION, unset: kept) removes old ones.
CREATE TABLE audit_log (
    id             BIGSERIAL   PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    tenant         TEXT,
    key_id         TEXT        NOT NULL,
    action         TEXT        NOT NULL,
    object         TEXT,
    request_id     TEXT,
    client_address TEXT,
    detail         JSONB
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_tenant ON audit_log (tenant, id);
