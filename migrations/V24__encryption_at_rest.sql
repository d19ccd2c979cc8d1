-- Encryption at rest (docs/security.md, "Encryption at rest"; security/Cipher). With EXAI_STORE_ENCRYPTION_KEY set,
-- message text, reasoning, the pieces of streamed answers and session titles are stored sealed (AES-256-GCM) under a
-- data key of their tenant. A data key is kept here only wrapped (AES-256-GCM) by the configured key, which wrapped_by
-- names by its fingerprint: rotating the configured key rewraps these rows and leaves the data they protect alone.
CREATE TABLE tenant_data_keys (
    id           INTEGER     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant       TEXT        NOT NULL UNIQUE,
    wrapped      BYTEA       NOT NULL,
    wrapped_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    rewrapped_at TIMESTAMPTZ
);

-- The blind index: with encryption on, search_doc (and title_doc) hold keyed hashes of the words PostgreSQL's own
-- configurations make, never the words. The key is the tenant's blind-index key, passed by the service with each
-- statement as its HMAC inner and outer pads (never stored): HMAC-SHA-256 = sha256(opad || sha256(ipad || word)), cut
-- to 80 bits. Built-in functions only (sha256 is PostgreSQL's own since 11).
CREATE FUNCTION exai_blind_word(word TEXT, ipad BYTEA, opad BYTEA) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT left(encode(sha256(opad || sha256(ipad || convert_to(word, 'UTF8'))), 'hex'), 20)
$$;

-- A document with each lexeme replaced by its hash, positions kept (phrases of Chinese and Japanese pieces need them).
-- With no key (encryption off) the document as it is.
CREATE FUNCTION exai_blind(doc TSVECTOR, ipad BYTEA, opad BYTEA) RETURNS TSVECTOR
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN ipad IS NULL THEN doc ELSE (
    SELECT coalesce(string_agg(exai_blind_word(d.lexeme, ipad, opad)
                                   || coalesce(':' || array_to_string(d.positions, ','), ''), ' '), '')::tsvector
    FROM unnest(doc) AS d) END
$$;

-- A query with each lexeme replaced by its hash, operators kept: the query's text is cut at its quoted lexemes and put
-- back together with their hashes. With no key the query as it is.
CREATE FUNCTION exai_blind_query(query TSQUERY, ipad BYTEA, opad BYTEA) RETURNS TSQUERY
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN ipad IS NULL OR query IS NULL THEN query ELSE (
    SELECT string_agg(s.part || coalesce('''' || exai_blind_word(replace(w.m[1], '''''', ''''), ipad, opad) || '''', ''), ''
                      ORDER BY s.n)::tsquery
    FROM unnest(regexp_split_to_array(query::text, '''(?:[^'']|'''')*''')) WITH ORDINALITY AS s(part, n)
             LEFT JOIN regexp_matches(query::text, '''((?:[^'']|'''')*)''', 'g') WITH ORDINALITY AS w(m, n) ON w.n = s.n) END
$$;

-- With encryption on, a session's title is sealed and its words are found through this blind index instead (the
-- title filter becomes a word match); null with encryption off.
ALTER TABLE chat_sessions ADD COLUMN title_doc TSVECTOR;
