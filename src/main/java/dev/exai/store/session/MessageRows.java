package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.RowQuery;
import dev.exai.store.common.RowSql;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.security.Cipher;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Message rows in PostgreSQL ({@code chat_messages} and the appends' idempotency keys): the append statement,
 * history ranges, the running-token-sum probes, edits and redaction. The per-session {@code seq} comes from the
 * session row's {@code message_count}, incremented by the same statement that inserts the messages: the row lock
 * serializes appenders of one session, and a rolled-back append gives its numbers back, so seq is gapless.
 */
@ApplicationScoped
class MessageRows {

    /** The message row view's columns ({@link MessageRow#COLUMNS}) as SQL over chat_messages m, chat_sessions s, client keys k. */
    private static final Map<String, RowSql.Column> VIEW = Map.of("id", new RowSql.Column("m.id", "uuid"),
            "session_id", new RowSql.Column("m.session_id", "uuid"), "continuation_id", new RowSql.Column("s.continuation_id", "text"),
            "seq", new RowSql.Column("m.seq", "bigint"), "role", new RowSql.Column("m.role", "text"),
            "content", new RowSql.Column("m.content", "text"), "metadata", new RowSql.Column("m.metadata", "jsonb"),
            "created_at", new RowSql.Column("m.created_at", "timestamptz"), "client_key", new RowSql.Column("k.key", "text"));

    private final Database db;
    private final Cipher cipher;
    private final String append;
    private final String appendKeyed;
    private final String appendRows;

    MessageRows(Database db, Cipher cipher) {
        this.db = db;
        this.cipher = cipher;
        this.append = appendStatement(false, false, cipher.enabled());
        this.appendKeyed = appendStatement(true, false, cipher.enabled());
        this.appendRows = appendStatement(false, true, cipher.enabled());
    }

    /**
     * Appends messages in one statement: bumps the live session's count, token totals and version (and, for a
     * sliding expiry, its expiry), inserts the messages with the numbers and running token sums that frees, and
     * records their seq range under the idempotency key (if any). A turn cap is checked by the same update, so
     * concurrent appends never pass it. Answers the updated session and the stored messages, or null when no live
     * session with room for them has that id. {@code tokens} and {@code reasoningTokens} are the counts to store.
     */
    Uni<Appended> append(SqlClient sql, String tenant, String cid, List<NewMessage> messages, int[] tokens,
                         int[] reasoningTokens, String idempotencyKey) {
        return sql.preparedQuery(idempotencyKey == null ? append : appendKeyed)
                .execute(Tuple.from(arguments(tenant, cid, messages, tokens, reasoningTokens, idempotencyKey)))
                .map(rows -> rows.size() == 0 ? null : appended(rows, messages.size()));
    }

    /**
     * Appends as {@link #append} does, to the session of that id and at the times given ({@code created}; a null
     * element: now), for rows a client writes and dates itself (the Supabase door). Answers what the cache takes and the
     * rows as the row view shows them (without client keys), or null when no live session with room has that id.
     */
    Uni<RowAppend> appendRows(SqlClient sql, String tenant, UUID sessionId, List<NewMessage> messages, int[] tokens,
                              int[] reasoningTokens, OffsetDateTime[] created) {
        List<Object> args = arguments(tenant, sessionId, messages, tokens, reasoningTokens, null);
        args.add(23, created);
        return sql.preparedQuery(appendRows).execute(Tuple.from(args)).map(rows -> {
            if (rows.size() == 0) {
                return null;
            }
            Appended appended = appended(rows, messages.size());
            List<MessageRow> stored = new ArrayList<>(rows.size());
            for (Row r : rows) {
                stored.add(new MessageRow(r.getUUID("m_id"), sessionId, r.getString("continuation_id"), r.getLong("seq"),
                        r.getString("role"), cipher.open(r.getString("content")), r.getString("m_metadata"), r.getOffsetDateTime("m_created_at"), null));
            }
            return new RowAppend(appended, stored);
        });
    }

    /** A row append's result: the session and messages for the cache, the rows for the answer. */
    record RowAppend(Appended appended, List<MessageRow> rows) {
    }

    /**
     * The append statement's parameters $1..$23 ({@code session}: the continuation_id, or the id for row appends) and,
     * with encryption on, the sealed contents and the blind-index key after them (reasoning is sealed in place; the
     * plain content only feeds the search document, never a column).
     */
    private List<Object> arguments(String tenant, Object session, List<NewMessage> messages, int[] tokens, int[] reasoningTokens,
                                          String idempotencyKey) {
        int n = messages.size();
        MessageColumns c = new MessageColumns(messages, tokens, reasoningTokens, 0, 0, cipher.enabled());
        Boolean[] estimated = new Boolean[n];
        for (int i = 0; i < n; i++) {
            estimated[i] = messages.get(i).tokenCount() == null;
        }
        List<Object> args = new ArrayList<>(Arrays.asList(tenant, session, n, c.roles, c.contents, c.metadata, c.counts, idempotencyKey,
                c.tools, c.models, c.providers, c.inputs, c.outputs, c.files, c.images, MessageColumns.sealed(cipher, tenant, c.reasonings),
                c.reasoningCounts, estimated, c.tokensThrough, c.totalThrough, c.tokens, c.total, c.pieces));
        if (cipher.enabled()) {
            Cipher.Blind blind = cipher.blind(tenant);
            args.add(MessageColumns.sealed(cipher, tenant, c.contents));
            args.add(Buffer.buffer(blind.key()));
        }
        return args;
    }

    private Appended appended(io.vertx.mutiny.sqlclient.RowSet<Row> rows, int n) {
        StoredSession session = null;
        List<Message> stored = new ArrayList<>(n);
        for (Row row : rows) {
            if (session == null) {
                session = Rows.session(row, cipher);
            }
            stored.add(Rows.message(row, "m_id", "m_metadata", "m_created_at", cipher));
        }
        return new Appended(session, stored, false);
    }

    /**
     * The append statement. Keyed, it also records the seq range under the idempotency key; keyless, it leaves that
     * update out rather than run it with a null key, which found nothing and cost 5% of the statement's PostgreSQL CPU.
     * For rows (keyless), it finds the session by id ({@code $2}) and takes each message's time from {@code $24}.
     * {@code sealed} (encryption on): the content stored is the sealed one of the parameter after those, and the search
     * document is blind, hashed with the key in the parameter after that ({@link Rows#searchDoc}).
     */
    private static String appendStatement(boolean keyed, boolean rows, boolean sealed) {
        int next = rows ? 25 : 24;
        return "WITH s AS ("
                + " UPDATE chat_sessions SET message_count = message_count + $3, version = version + 1, updated_at = now(),"
                + " tokens_total = tokens_total + $21, reasoning_total = reasoning_total + $22 - $21,"
                + " expires_at = CASE WHEN ttl_sliding THEN now() + ttl_seconds * interval '1 second' ELSE expires_at END"
                + " WHERE tenant = $1 AND " + (rows ? "id = $2::uuid" : "continuation_id = $2") + " AND " + Rows.LIVE
                + " AND (max_messages IS NULL OR message_count + $3 <= max_messages) RETURNING " + Rows.SESSION_COLUMNS
                + "), m AS ("
                + " INSERT INTO chat_messages (session_id, seq, role, content, metadata, tool_name, model, provider, input_tokens,"
                + " output_tokens, files, images, reasoning, token_count, reasoning_token_count, token_count_estimated,"
                + " tokens_through, total_through, created_at, search_doc)"
                + " SELECT s.id, s.message_count - $3 + t.ord, t.role, " + (sealed ? "t.sealed" : "t.content")
                + ", t.metadata::jsonb, t.tool, t.model, t.provider,"
                + " t.input, t.output, string_to_array(NULLIF(t.files, ''), ',')::uuid[], string_to_array(NULLIF(t.images, ''), ',')::uuid[],"
                + " t.reasoning, t.tokens, t.reasoning_tokens, t.estimated, s.tokens_total - $21 + t.tokens_through,"
                + " s.tokens_total + s.reasoning_total - $22 + t.total_through, " + (rows ? "coalesce(t.created, now())" : "now()")
                + ", " + Rows.searchDoc("t.content", "t.pieces", sealed ? "$" + (next + 1) : null)
                + " FROM s, unnest($4::text[], $5::text[], $6::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::int[],"
                + " $14::text[], $15::text[], $16::text[], $7::int[], $17::int[], $18::boolean[], $19::bigint[], $20::bigint[],"
                + " $23::text[]" + (rows ? ", $24::timestamptz[]" : "") + (sealed ? ", $" + next + "::text[]" : "")
                + ") WITH ORDINALITY AS t(role, content, metadata, tool, model,"
                + " provider, input, output, files, images, reasoning, tokens, reasoning_tokens, estimated, tokens_through, total_through,"
                + " pieces, " + (rows ? "created, " : "") + (sealed ? "sealed, " : "") + "ord)"
                + " RETURNING id AS m_id, seq, role, content, metadata::text AS m_metadata, tool_name, model, provider, input_tokens,"
                + " output_tokens, files::text[] AS files, images::text[] AS images, reasoning, token_count, token_count_estimated,"
                + " reasoning_token_count, created_at AS m_created_at, tokens_through, total_through, redacted, edits, "
                + Rows.STREAM_COLUMNS
                + (keyed ? "), k AS ("
                        + " UPDATE message_idempotency_keys SET first_seq = s.message_count - $3 + 1, last_seq = s.message_count"
                        + " FROM s WHERE message_idempotency_keys.session_id = s.id AND message_idempotency_keys.key = $8"
                        // keyless: $8 (null) only keeps the numbering; a SELECT that nothing reads is never run
                        : "), k AS (SELECT $8::text")
                // the change feed's events, written by the append itself (docs/design.md, "The change feed")
                + "), e AS (" + EventOutbox.messagesAppended("s", "m", "$1")
                + ") SELECT s.*, m.* FROM s CROSS JOIN m ORDER BY m.seq";
    }


    /**
     * Claims an idempotency key for the live session. Answers true when this request owns it now; false when
     * the key was used before (committed, or by a concurrent request this one waited for) or the session is missing.
     */
    Uni<Boolean> claimKey(SqlClient sql, String tenant, String cid, String key, byte[] requestHash) {
        return sql.preparedQuery("INSERT INTO message_idempotency_keys (session_id, key, request_hash) "
                        + "SELECT id, $3, $4 FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2 AND " + Rows.LIVE
                        + " ON CONFLICT DO NOTHING")
                .execute(Tuple.of(tenant, cid, key, Buffer.buffer(requestHash)))
                .map(rows -> rows.rowCount() == 1);
    }


    /** What an earlier request stored under the key, or null when neither the key nor the session exists. */
    Uni<UsedKey> usedKey(SqlClient sql, String tenant, String cid, String key) {
        return sql.preparedQuery("SELECT k.request_hash, k.first_seq, k.last_seq, " + Rows.sessionColumns("s.")
                        + " FROM message_idempotency_keys k JOIN chat_sessions s ON s.id = k.session_id"
                        + " WHERE s.tenant = $1 AND s.continuation_id = $2 AND " + Rows.LIVE_S + " AND k.key = $3")
                .execute(Tuple.of(tenant, cid, key))
                .map(rows -> Rows.first(rows, row -> new UsedKey(row.getBuffer("request_hash").getBytes(),
                        row.getLong("first_seq"), row.getLong("last_seq"), Rows.session(row, cipher))));
    }


    /** Messages with {@code from <= seq <= to}, ascending. */
    Uni<List<Message>> range(SqlClient sql, UUID sessionId, long from, long to) {
        return sql.preparedQuery("SELECT " + Rows.MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq")
                .execute(Tuple.of(sessionId, from, to))
                .map(rows -> Rows.messages(rows, cipher));
    }

    Uni<List<Message>> range(UUID sessionId, long from, long to) {
        return db.run(pool -> range(pool, sessionId, from, to));
    }


    /** Up to {@code limit} messages below {@code beforeSeq}, newest first. */
    Uni<List<Message>> before(UUID sessionId, long beforeSeq, int limit) {
        return db.run(pool -> pool.preparedQuery("SELECT " + Rows.MESSAGE_COLUMNS
                        + " FROM chat_messages WHERE session_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3")
                .execute(Tuple.of(sessionId, beforeSeq, limit))
                .map(rows -> Rows.messages(rows, cipher)));
    }


    /** A slice of history straight from PostgreSQL, in response order, for sessions too large to cache. */
    Uni<List<Message>> page(HistoryQuery query, UUID sessionId, int count) {
        return switch (query.order()) {
            case ASC -> range(sessionId, query.boundary() + 1, query.boundary() + query.limit());
            case LAST -> range(sessionId, count - query.limit() + 1L, count);
            case DESC -> before(sessionId, query.boundary() == 0 ? count + 1L : query.boundary(), query.limit());
        };
    }

    /** The running token sum through {@code seq} ({@code withReasoning}: reasoning tokens included); 0 for seq 0. */
    Uni<Long> tokensThrough(UUID sessionId, long seq, boolean withReasoning) {
        if (seq == 0) {
            return Uni.createFrom().item(0L);
        }
        return db.run(pool -> pool.preparedQuery("SELECT " + (withReasoning ? "total_through" : "tokens_through")
                        + " FROM chat_messages WHERE session_id = $1 AND seq = $2")
                .execute(Tuple.of(sessionId, seq))
                .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0)));
    }


    /** The first seq whose running token sum reaches {@code atLeast}: one probe of the running-sum index. */
    Uni<Long> firstSeqReaching(UUID sessionId, long atLeast, boolean withReasoning) {
        String column = withReasoning ? "total_through" : "tokens_through";
        return db.run(pool -> pool.preparedQuery("SELECT seq FROM chat_messages WHERE session_id = $1 AND " + column
                        + " >= $2 ORDER BY " + column + ", seq LIMIT 1")
                .execute(Tuple.of(sessionId, atLeast))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getLong(0)));
    }


    /** A page of history filtered by tool and/or model, ascending after {@code afterSeq}. */
    Uni<List<Message>> filtered(UUID sessionId, String toolName, String model, long afterSeq, int limit) {
        return db.run(pool -> pool.preparedQuery("SELECT " + Rows.MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = $1"
                        + " AND ($2::text IS NULL OR tool_name = $2) AND ($3::text IS NULL OR model = $3) AND seq > $4"
                        + " ORDER BY seq LIMIT $5")
                .execute(Tuple.from(Arrays.asList(sessionId, toolName, model, afterSeq, limit)))
                .map(rows -> Rows.messages(rows, cipher)));
    }


    /**
     * Redacts the live session's message {@code seq}: content, metadata, reasoning and file references are wiped, the row
     * stays as a tombstone. Answers the tombstone (also when it already was one), or null when there is no such message.
     */
    Uni<Message> redact(SqlClient sql, String tenant, String cid, long seq) {
        return sql.preparedQuery("UPDATE chat_messages m SET content = '', metadata = '{}', reasoning = NULL, search_doc = ''::tsvector,"
                        + " files = NULL, images = NULL, edits = m.edits + CASE WHEN m.redacted THEN 0 ELSE 1 END, redacted = true"
                        + " FROM chat_sessions s WHERE s.id = m.session_id AND s.tenant = $1 AND s.continuation_id = $2"
                        + " AND " + Rows.LIVE_S + " AND m.seq = $3 RETURNING " + Rows.qualified("m."))
                .execute(Tuple.of(tenant, cid, seq))
                .map(rows -> Rows.first(rows, r -> Rows.message(r, "id", "metadata", "created_at", cipher)));
    }


    /** The live session's message {@code seq}, locked for a read-modify-write; null when there is none. */
    Uni<Message> findMessageForUpdate(SqlClient sql, String tenant, String cid, long seq) {
        return sql.preparedQuery("SELECT " + Rows.qualified("m.") + " FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                        + " WHERE s.tenant = $1 AND s.continuation_id = $2 AND " + Rows.LIVE_S
                        + " AND m.seq = $3 FOR UPDATE OF m")
                .execute(Tuple.of(tenant, cid, seq))
                .map(rows -> Rows.first(rows, r -> Rows.message(r, "id", "metadata", "created_at", cipher)));
    }


    /** Replaces a locked message's metadata, counting the edit. */
    Uni<Message> updateMetadata(SqlClient sql, String messageId, String metadata) {
        return sql.preparedQuery("UPDATE chat_messages SET metadata = $2::text::jsonb, edits = edits + 1 WHERE id = $1 RETURNING "
                        + Rows.MESSAGE_COLUMNS)
                .execute(Tuple.of(UUID.fromString(messageId), metadata))
                .map(rows -> Rows.first(rows, r -> Rows.message(r, "id", "metadata", "created_at", cipher)));
    }


    /** Forgets idempotency keys of appends and imports older than {@code seconds}. */
    Uni<Integer> purgeKeys(long seconds) {
        return db.run(pool -> pool.preparedQuery("WITH m AS (DELETE FROM message_idempotency_keys"
                        + " WHERE created_at < now() - $1::bigint * interval '1 second' RETURNING 1),"
                        + " i AS (DELETE FROM import_idempotency_keys WHERE created_at < now() - $1::bigint * interval '1 second' RETURNING 1)"
                        + " SELECT (SELECT count(*) FROM m) + (SELECT count(*) FROM i)")
                .execute(Tuple.of(seconds))
                .map(rows -> rows.iterator().next().getLong(0).intValue()));
    }


    /** The tenant's message rows (of live sessions) that the query selects, in its order. */
    Uni<List<MessageRow>> rows(String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        String statement = "SELECT m.id, m.session_id, s.continuation_id, m.seq, m.role, m.content, m.metadata::text AS metadata,"
                + " m.created_at, k.key AS client_key FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                + " LEFT JOIN message_client_keys k ON k.message_id = m.id WHERE s.tenant = $1 AND " + Rows.LIVE_S + " AND (" + where + ")"
                + " ORDER BY " + RowSql.orderBy(query, VIEW, "m.session_id, m.seq")
                + (query.limit() == null ? "" : " LIMIT " + query.limit()) + " OFFSET " + query.offset();
        return db.run(pool -> pool.preparedQuery(statement).execute(Tuple.from(params)).map(found -> {
            List<MessageRow> list = new ArrayList<>(found.size());
            for (Row r : found) {
                list.add(new MessageRow(r.getUUID("id"), r.getUUID("session_id"), r.getString("continuation_id"), r.getLong("seq"),
                        r.getString("role"), cipher.open(r.getString("content")), r.getString("metadata"), r.getOffsetDateTime("created_at"),
                        r.getString("client_key")));
            }
            return list;
        }));
    }

    /** How many message rows the query's filters select, whatever its window. */
    Uni<Long> count(String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        return db.run(pool -> pool.preparedQuery("SELECT count(*) FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                        + " LEFT JOIN message_client_keys k ON k.message_id = m.id WHERE s.tenant = $1 AND " + Rows.LIVE_S
                        + " AND (" + where + ")")
                .execute(Tuple.from(params)).map(found -> found.iterator().next().getLong(0)));
    }

    /**
     * Locks the tenant's client keys for this transaction (so concurrent writers of one key take turns) and answers
     * those already stored.
     */
    Uni<Set<String>> lockClientKeys(SqlClient sql, String tenant, List<String> keys) {
        String[] sorted = keys.stream().distinct().sorted().toArray(String[]::new);
        return sql.preparedQuery("SELECT pg_advisory_xact_lock(hashtext('exai-store.client-key.' || $1 || '.' || k))"
                        + " FROM unnest($2::text[]) AS k")
                .execute(Tuple.of(tenant, sorted))
                .chain(() -> sql.preparedQuery("SELECT key FROM message_client_keys WHERE tenant = $1 AND key = ANY($2::text[])")
                        .execute(Tuple.of(tenant, sorted)))
                .map(found -> {
                    Set<String> used = new HashSet<>();
                    found.forEach(r -> used.add(r.getString(0)));
                    return used;
                });
    }

    /** Records the client keys of stored messages ({@code keys[i]} for {@code ids[i]}; null: none). */
    Uni<Void> saveClientKeys(SqlClient sql, String tenant, List<UUID> ids, List<String> keys) {
        List<UUID> keyed = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (keys.get(i) != null) {
                keyed.add(ids.get(i));
                values.add(keys.get(i));
            }
        }
        if (keyed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return sql.preparedQuery("INSERT INTO message_client_keys (tenant, key, message_id) SELECT $1, k, m"
                        + " FROM unnest($2::text[], $3::uuid[]) AS t(k, m)")
                .execute(Tuple.of(tenant, values.toArray(String[]::new), keyed.toArray(UUID[]::new)))
                .replaceWithVoid();
    }

    /** A session's stored messages plus the session they were appended to. */
    record Appended(StoredSession session, List<Message> messages, boolean replayed) {
    }

    /** An idempotency key already used: the body hash it was used with, the seq range it stored, its session. */
    record UsedKey(byte[] requestHash, long firstSeq, long lastSeq, StoredSession session) {
    }

}
