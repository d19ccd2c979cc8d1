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
-- statement (never stored): the hash is SHA-256 over the key and the word, cut to 80 bits (a secret-prefix MAC; cut
-- short, its state cannot be extended). The service builds a document's hashes inline in its statements
-- (session/Rows.searchDoc: a function would cost more than the hashing); a query's go through this function.
CREATE FUNCTION exai_blind_word(word TEXT, blind_key BYTEA) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT left(encode(sha256(blind_key || convert_to(word, 'UTF8')), 'hex'), 20)
$$;

-- A query with each lexeme replaced by its hash, operators kept: the query's text is cut at its quoted lexemes and put
-- back together with their hashes.
CREATE FUNCTION exai_blind_query(query TSQUERY, blind_key BYTEA) RETURNS TSQUERY
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT string_agg(s.part || coalesce('''' || exai_blind_word(replace(w.m[1], '''''', ''''), blind_key) || '''', ''), ''
                  ORDER BY s.n)::tsquery
FROM unnest(regexp_split_to_array(query::text, '''(?:[^'']|'''')*''')) WITH ORDINALITY AS s(part, n)
         LEFT JOIN regexp_matches(query::text, '''((?:[^'']|'''')*)''', 'g') WITH ORDINALITY AS w(m, n) ON w.n = s.n
$$;

-- With encryption on, a session's title is sealed and its words are found through this blind index instead (the
-- title filter becomes a word match); null with encryption off.
ALTER TABLE chat_sessions ADD COLUMN title_doc TSVECTOR;
