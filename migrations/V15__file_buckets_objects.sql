-- Buckets and object names (the Supabase door's Storage): a file may also be an object, named in one of its
-- tenant's buckets. The name is the file's, so the object's bytes are the file's blob (stored once per content),
-- GET /files lists it, and deleting the object deletes the file. A bucket's id is unique per tenant; a public
-- bucket's id is unique among public buckets, since a public URL carries no key to tell the tenant.
CREATE TABLE file_buckets (
    tenant             TEXT        NOT NULL,
    id                 TEXT        NOT NULL,
    public             BOOLEAN     NOT NULL DEFAULT false,
    file_size_limit    BIGINT,
    allowed_mime_types TEXT[],
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX file_buckets_public ON file_buckets (id) WHERE public;

ALTER TABLE files
    ADD COLUMN bucket TEXT,
    ADD COLUMN object_name TEXT,
    ADD CONSTRAINT files_bucket_fkey FOREIGN KEY (tenant, bucket) REFERENCES file_buckets (tenant, id),
    ADD CONSTRAINT files_object_named CHECK ((bucket IS NULL) = (object_name IS NULL));
CREATE UNIQUE INDEX files_objects ON files (tenant, bucket, object_name) WHERE bucket IS NOT NULL;
