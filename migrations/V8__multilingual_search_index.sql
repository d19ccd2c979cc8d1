-- Fills search_doc for the rows from before V7, then builds its index, all without blocking appends: the rows are
-- updated in batches of 5,000 in id order, each committed on its own, and the index is built CONCURRENTLY (outside a
-- transaction; Flyway's transactional lock is off for that, see common/FlywaySettings). A build that failed halfway
-- leaves an invalid index behind, so a retry drops it first. The English-only index goes the same way.
DO $$
DECLARE
    done UUID := '00000000-0000-0000-0000-000000000000';
    upto UUID;
BEGIN
    LOOP
        SELECT id INTO upto FROM (SELECT id FROM chat_messages WHERE id > done ORDER BY id LIMIT 5000) batch
        ORDER BY id DESC LIMIT 1;
        EXIT WHEN upto IS NULL;
        UPDATE chat_messages SET search_doc = exai_search_document(content)
        WHERE id > done AND id <= upto AND search_doc IS NULL;
        COMMIT;
        done := upto;
    END LOOP;
END
$$;
DROP INDEX CONCURRENTLY IF EXISTS chat_messages_search_multilingual;
CREATE INDEX CONCURRENTLY chat_messages_search_multilingual ON chat_messages USING GIN (search_doc);
DROP INDEX CONCURRENTLY IF EXISTS chat_messages_search;
