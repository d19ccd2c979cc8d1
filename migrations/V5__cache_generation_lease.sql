-- When the cache generation last moved, and the oldest generation a replica may still be reading: a new
-- generation is used only once every replica's lease on the previous ones has run out, and until then writes
-- go to every generation from readable_from up (see CacheGeneration).
ALTER TABLE cache_generation ADD COLUMN advanced_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE cache_generation ADD COLUMN readable_from BIGINT;
UPDATE cache_generation SET readable_from = generation;
ALTER TABLE cache_generation ALTER COLUMN readable_from SET NOT NULL;
