-- The English-only search column is replaced by V8's index; every append computed it. Dropping a column only
-- changes the catalog, under a lock held for a moment.
ALTER TABLE chat_messages DROP COLUMN IF EXISTS search_vector;
