-- Files may expire (ttl_seconds at upload): reads treat an expired file as gone at once, and the purge job deletes
-- its row, and its blob with the last file that names the bytes. The index holds only the files that expire.
ALTER TABLE files ADD COLUMN expires_at TIMESTAMPTZ;
CREATE INDEX files_expiring ON files (expires_at) WHERE expires_at IS NOT NULL;
