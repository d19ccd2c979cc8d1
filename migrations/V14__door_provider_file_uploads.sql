-- The Supabase door's provider_file_uploads: records EXAI's storage module keeps of files it uploaded to a model
-- provider. They name no file of exai-store's and EXAI's two definitions of the table disagree, so the door keeps
-- them as the module writes them (provider, provider_file_id, purpose, metadata, last_used), per tenant.
CREATE TABLE door_provider_file_uploads (
    tenant text NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    provider text NOT NULL,
    provider_file_id text NOT NULL,
    purpose text NOT NULL DEFAULT 'file-extract',
    metadata jsonb NOT NULL DEFAULT '{}',
    last_used timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_file_uploads_provider_provider_file_id_key UNIQUE (tenant, provider, provider_file_id)
);
