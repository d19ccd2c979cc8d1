-- When the cache generation last moved: a new generation is used only once every replica's lease on the
-- previous one has run out (see CacheGeneration).
ALTER TABLE cache_generation ADD COLUMN advanced_at TIMESTAMPTZ NOT NULL DEFAULT now();
