-- Tenant keys made at run time by the admin key (POST /admin/tenants/{tenant}/keys). Only a keyed hash of each key is
-- kept (HMAC-SHA-256 under api_key_state.secret, or EXAI_STORE_SECURITY_KEY_HASH_SECRET when set): the key itself is shown once.
CREATE TABLE api_keys (
    id           UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant       TEXT        NOT NULL,
    name         TEXT,
    prefix       TEXT        NOT NULL,
    hash         BYTEA       NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at DESC, id DESC);

-- One row: version moves on with every key made or revoked, so each replica reloads its keys when it changes (it
-- asks every exai-store.security.key-check-every); secret is the hash key used when none is configured.
CREATE TABLE api_key_state (
    one     INT    PRIMARY KEY CHECK (one = 1),
    version BIGINT NOT NULL,
    secret  BYTEA  NOT NULL
);
-- two random UUIDs (pg_strong_random): 244 random bits, without the pgcrypto extension
INSERT INTO api_key_state (one, version, secret)
VALUES (1, 0, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
