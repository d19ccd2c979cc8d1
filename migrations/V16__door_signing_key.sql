-- The Supabase door's key for signed Storage URLs: made once by whichever replica first needs it, so every replica
-- signs and checks with the same key and tokens outlive restarts. Rotating it (deleting the row) voids every
-- outstanding signed URL.
CREATE TABLE door_signing_keys (
    id         INT         PRIMARY KEY CHECK (id = 1),
    secret     BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
