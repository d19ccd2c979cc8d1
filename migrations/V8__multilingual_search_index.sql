-- The multilingual search index, built on the live table without blocking appends (CONCURRENTLY runs outside
-- a transaction; Flyway's transactional lock is off for that, see common/FlywaySettings). A build that failed
-- halfway leaves an invalid index behind, so a retry drops it first. The English-only index goes the same way.
DROP INDEX CONCURRENTLY IF EXISTS chat_messages_search_multilingual;
CREATE INDEX CONCURRENTLY chat_messages_search_multilingual ON chat_messages USING GIN (exai_search_document(content));
DROP INDEX CONCURRENTLY IF EXISTS chat_messages_search;
