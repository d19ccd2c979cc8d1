-- Keys a client gives its messages as row data (the Supabase door's messages.idempotency_key): unique per tenant
-- across all its sessions, as EXAI's own schema makes them, and gone with their message. The native API's
-- Idempotency-Key (message_idempotency_keys) is another thing: per session, for a retried request.
CREATE TABLE message_client_keys (
    tenant text NOT NULL,
    key text NOT NULL,
    message_id uuid NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, key)
);
CREATE INDEX message_client_keys_message ON message_client_keys (message_id);
