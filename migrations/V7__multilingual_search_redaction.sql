-- Search that finds words in every script, and messages that can be corrected or redacted.
--
-- Chinese, Japanese, Thai and the like are written without spaces, so PostgreSQL's parsers see a whole run of
-- them as one word and a word inside it is never found. Each such run is also indexed as its overlapping
-- two-character pieces (and its last character alone): 数据库连接 gives 数据 据库 库连 连接 接, so a query word of
-- n characters is the phrase of its n-1 pieces, and a single character is a prefix query. Other scripts keep
-- PostgreSQL's English configuration (stemmed: running finds runs). Both go into one stored tsvector with one GIN
-- index (built by V8 without blocking appends). Only built-in functions: no extension is needed.
--
-- The service computes the pieces itself (SearchQuery.pieces, far cheaper than SQL string functions) and writes
-- search_doc with each message; exai_search_document is the same in SQL, used to fill rows written without it
-- (rows from before this version, and any insert that leaves it out, through the trigger below).
CREATE FUNCTION exai_cjk_bigrams(doc TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT coalesce(string_agg(substr(r.m[1], i, 2), ' ' ORDER BY r.n, i), '')
FROM regexp_matches(doc, '[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]+', 'g')
         WITH ORDINALITY AS r(m, n)
         CROSS JOIN LATERAL generate_series(1, length(r.m[1])) AS i
$$;

-- The searchable form of a message's text. The text is cut at 256 KiB so a 1 MiB message never exceeds
-- tsvector's size limit.
CREATE FUNCTION exai_search_document(content TEXT) RETURNS TSVECTOR
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT to_tsvector('english'::regconfig, left(content, 262144))
           || to_tsvector('simple'::regconfig, exai_cjk_bigrams(left(content, 262144)))
$$;

-- A redacted message keeps its seq (histories stay gapless) with content, metadata, reasoning and references
-- wiped; edits counts metadata patches and redactions so the cache keeps only the newest form of a message.
ALTER TABLE chat_messages
    ADD COLUMN search_doc TSVECTOR,
    ADD COLUMN redacted   BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN edits      INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION exai_fill_search_doc() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_doc := exai_search_document(NEW.content);
    RETURN NEW;
END
$$;

-- Only rows inserted without search_doc pay for it (the WHEN test runs without calling the function).
CREATE TRIGGER chat_messages_search_doc BEFORE INSERT ON chat_messages
    FOR EACH ROW WHEN (NEW.search_doc IS NULL) EXECUTE FUNCTION exai_fill_search_doc();
