-- Files name the blob that holds their bytes. A plain blob is named by its sha256 and shared by every file with those
-- bytes; with encryption at rest a blob is sealed under its tenant's data key and named by a keyed hash of the sha256,
-- so identical bytes are stored once per tenant (docs/security.md).
ALTER TABLE blobs RENAME COLUMN sha256 TO name;
ALTER TABLE files ADD COLUMN blob TEXT;
UPDATE files SET blob = sha256;
ALTER TABLE files ALTER COLUMN blob SET NOT NULL;
ALTER TABLE files DROP CONSTRAINT files_sha256_fkey;
ALTER TABLE files ADD CONSTRAINT files_blob_fkey FOREIGN KEY (blob) REFERENCES blobs (name);
CREATE INDEX files_blob ON files (blob);
-- The files whose blob is plain, for the job that seals them once encryption is turned on.
CREATE INDEX files_plain_blob ON files (created_at) WHERE blob = sha256;
