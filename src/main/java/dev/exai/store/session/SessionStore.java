package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.KeysetPage;
import dev.exai.store.common.Page;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Sessions and messages in PostgreSQL, the permanent store. Each method is one statement; the service
 * decides which run together in a transaction. The per-session {@code seq} comes from the session row's
 * {@code message_count}, incremented by the same statement that inserts the messages: the row lock
 * serializes appenders of one session, and a rolled-back append gives its numbers back, so seq is gapless.
 */
@ApplicationScoped
public class SessionStore {

    private static final String SESSION_COLUMNS = sessionColumns("");
    private static final String MESSAGE_COLUMNS = "id, seq, role, content, metadata::text AS metadata, tool_name, model, provider,"
            + " input_tokens, output_tokens, files::text[] AS files, images::text[] AS images, reasoning, token_count,"
            + " token_count_estimated, reasoning_token_count, created_at, tokens_through, total_through, redacted, edits";
    private static final String LIVE = "(expires_at IS NULL OR expires_at > now())";
    /**
     * A message's search_doc from its content {@code t.content} and unspaced-script pieces {@code t.pieces}
     * ({@link SearchQuery#pieces}): the same value as {@code exai_search_document} in migration V7, computed cheaply.
     */
    private static final String SEARCH_DOC = "to_tsvector('english'::regconfig, left(t.content, " + SearchQuery.SEARCHED_CHARS
            + ")) || to_tsvector('simple'::regconfig, t.pieces)";
    /** {@link #LIVE} for chat_sessions aliased {@code s}. */
    private static final String LIVE_S = "(s.expires_at IS NULL OR s.expires_at > now())";
    private static final String APPEND = appendStatement(false);
    private static final String APPEND_KEYED = appendStatement(true);

    private final Database db;

    public SessionStore(Database db) {
        this.db = db;
    }

    /** Removes an expired session that still holds the id, so the id can be taken again. */
    Uni<Void> deleteIfExpired(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("DELETE FROM chat_sessions s WHERE tenant = $1 AND continuation_id = $2 AND expires_at <= now()"
                        + " AND NOT EXISTS (SELECT 1 FROM chat_sessions c WHERE c.parent_id = s.id)")
                .execute(Tuple.of(tenant, cid)).replaceWithVoid();
    }

    /** Inserts the session (a continuation of {@code parent} at {@code parentSeq} when given), or answers null when the id is taken. */
    Uni<StoredSession> insert(SqlClient sql, String tenant, SessionInput input, StoredSession parent, Integer parentSeq) {
        return sql.preparedQuery("INSERT INTO chat_sessions (tenant, continuation_id, user_id, title, metadata, expires_at,"
                        + " ttl_seconds, ttl_sliding, max_messages, parent_id, parent_continuation_id, parent_seq, depth) "
                        + "VALUES ($1, $2, $3, $4, $5::text::jsonb, now() + $6::bigint * interval '1 second', $6, $7, $8, $9, $10, $11, $12) "
                        + "ON CONFLICT (tenant, continuation_id) DO NOTHING RETURNING " + SESSION_COLUMNS)
                .execute(Tuple.from(Arrays.asList(tenant, input.continuationId(), input.userId(), input.title(),
                        input.metadata(), input.ttlSeconds(), input.ttlSliding(), input.maxMessages(),
                        parent == null ? null : parent.id(), parent == null ? null : parent.view().continuationId(),
                        parentSeq, parent == null ? 0 : parent.depth() + 1)))
                .map(rows -> first(rows, SessionStore::session));
    }

    /** The live session, locked against deletion while a continuation of it is made; or null. */
    Uni<StoredSession> findToContinue(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT " + SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE + " FOR KEY SHARE")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> first(rows, SessionStore::session));
    }

    /** The tenant's session by id, live or expired (an expired parent stays readable through its continuations), or null. */
    Uni<StoredSession> findIncludingExpired(String tenant, String cid) {
        return db.run(pool -> pool.preparedQuery("SELECT " + SESSION_COLUMNS + " FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> first(rows, SessionStore::session)));
    }

    /**
     * How many messages a session's ancestors put in front of its own: each link's {@code parent_seq}, summed up the
     * chain (a parent's history up to the link already holds the grandparent's part).
     */
    Uni<Long> chainLength(String tenant, String cid) {
        return db.run(pool -> pool.preparedQuery("WITH RECURSIVE up AS ("
                        + " SELECT parent_id, parent_seq FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2"
                        + " UNION ALL SELECT s.parent_id, s.parent_seq FROM chat_sessions s JOIN up ON s.id = up.parent_id)"
                        + " SELECT coalesce(sum(parent_seq), 0) FROM up WHERE parent_id IS NOT NULL")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> rows.iterator().next().getLong(0)));
    }

    /** The chain ending in the live session {@code cid}, root first: each session with how many of its messages it lends. */
    Uni<List<ChainLink>> chain(String tenant, String cid) {
        return db.run(pool -> pool.preparedQuery("WITH RECURSIVE up AS ("
                        + " SELECT id, continuation_id, parent_id, parent_seq, message_count::bigint AS upto, 0 AS lvl FROM chat_sessions"
                        + "  WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE
                        + " UNION ALL SELECT s.id, s.continuation_id, s.parent_id, s.parent_seq, up.parent_seq::bigint, up.lvl + 1"
                        + "  FROM chat_sessions s JOIN up ON s.id = up.parent_id)"
                        + " SELECT id, continuation_id, upto FROM up ORDER BY lvl DESC")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> {
                    List<ChainLink> links = new ArrayList<>();
                    rows.forEach(r -> links.add(new ChainLink(r.getUUID("id"), r.getString("continuation_id"), r.getLong("upto"))));
                    return links;
                }));
    }

    /** One session of a chain and how many of its messages (1..upto) the chain's history holds. */
    record ChainLink(UUID id, String continuationId, long upto) {
    }

    /** The continuation_ids of the sessions that continue this one. */
    Uni<List<String>> children(SqlClient sql, UUID id) {
        return sql.preparedQuery("SELECT continuation_id FROM chat_sessions WHERE parent_id = $1 ORDER BY continuation_id")
                .execute(Tuple.of(id))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(r -> ids.add(r.getString(0)));
                    return ids;
                });
    }

    /** Deletes a session with every session that continues it, at any depth; answers their continuation_ids. */
    Uni<List<String>> deleteTree(SqlClient sql, UUID id) {
        return sql.preparedQuery("WITH RECURSIVE tree AS (SELECT id FROM chat_sessions WHERE id = $1"
                        + " UNION ALL SELECT c.id FROM chat_sessions c JOIN tree ON c.parent_id = tree.id)"
                        + " DELETE FROM chat_sessions WHERE id IN (SELECT id FROM tree) RETURNING continuation_id")
                .execute(Tuple.of(id))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(r -> ids.add(r.getString(0)));
                    return ids;
                });
    }

    /** The live session, or null. */
    Uni<StoredSession> find(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT " + SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE)
                .execute(Tuple.of(tenant, cid))
                .map(rows -> first(rows, SessionStore::session));
    }

    Uni<StoredSession> find(String tenant, String cid) {
        return db.run(pool -> find(pool, tenant, cid));
    }

    /** Locks the live session row for a read-modify-write, or answers null. */
    Uni<StoredSession> findForUpdate(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT " + SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE + " FOR UPDATE")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> first(rows, SessionStore::session));
    }

    /** Writes title, metadata and expiry of a locked session; {@code ttlSeconds} null means no expiry. */
    Uni<StoredSession> update(SqlClient sql, UUID id, String title, String metadata, Long ttlSeconds, boolean keepExpiry) {
        return sql.preparedQuery("UPDATE chat_sessions SET title = $2, metadata = $3::text::jsonb, "
                        + "expires_at = CASE WHEN $5::boolean THEN expires_at ELSE now() + $4::bigint * interval '1 second' END, "
                        + "ttl_seconds = CASE WHEN $5::boolean THEN ttl_seconds ELSE $4::bigint END, "
                        + "version = version + 1, updated_at = now() WHERE id = $1 RETURNING " + SESSION_COLUMNS)
                .execute(Tuple.from(Arrays.asList(id, title, metadata, ttlSeconds, keepExpiry)))
                .map(rows -> first(rows, SessionStore::session));
    }

    /** Deletes the session and, by cascade, its messages; answers whether one was deleted. */
    Uni<Boolean> delete(SqlClient sql, UUID id) {
        return sql.preparedQuery("DELETE FROM chat_sessions WHERE id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows.rowCount() > 0);
    }

    /**
     * Most recently updated first, narrowed by the filters given (null: not narrowed); the cursor holds the last row's
     * (updated_at, id). {@code titleContains} matches anywhere in the title, ignoring case.
     */
    Uni<Page<Session>> list(String tenant, SessionFilters filters, int limit, String cursor) {
        KeysetPage.After after = KeysetPage.after(cursor);
        String titleLike = filters.titleContains() == null ? null
                : "%" + filters.titleContains().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        Tuple args = Tuple.from(Arrays.asList(tenant, filters.userId(), after.time(), after.id(), limit + 1, filters.metadata(),
                titleLike, filters.updatedAfter()));
        return db.run(pool -> pool.preparedQuery("SELECT " + SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND ($2::text IS NULL OR user_id = $2) AND " + LIVE
                        + " AND ($6::text IS NULL OR metadata @> $6::jsonb) AND ($7::text IS NULL OR title ILIKE $7)"
                        + " AND ($8::timestamptz IS NULL OR updated_at > $8)"
                        + " AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4::uuid)) "
                        + "ORDER BY updated_at DESC, id DESC LIMIT $5")
                .execute(args)
                .map(rows -> KeysetPage.of(rows, limit, "updated_at", r -> session(r).view())));
    }

    /** What a session list may be narrowed to; a null field does not narrow. {@code metadata} is a JSON object to contain. */
    record SessionFilters(String userId, String metadata, String titleContains, OffsetDateTime updatedAfter) {
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
        int n = messages.size();
        Columns c = new Columns(messages, tokens, reasoningTokens, 0, 0);
        Boolean[] estimated = new Boolean[n];
        for (int i = 0; i < n; i++) {
            estimated[i] = messages.get(i).tokenCount() == null;
        }
        String statement = idempotencyKey == null ? APPEND : APPEND_KEYED;
        return sql.preparedQuery(statement)
                .execute(Tuple.from(Arrays.asList(tenant, cid, n, c.roles, c.contents, c.metadata, c.counts, idempotencyKey,
                        c.tools, c.models, c.providers, c.inputs, c.outputs, c.files, c.images, c.reasonings, c.reasoningCounts, estimated,
                        c.tokensThrough, c.totalThrough, c.tokens, c.total, c.pieces)))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return null;
                    }
                    StoredSession session = null;
                    List<Message> stored = new ArrayList<>(n);
                    for (Row row : rows) {
                        if (session == null) {
                            session = session(row);
                        }
                        stored.add(message(row, "m_id", "m_metadata", "m_created_at"));
                    }
                    return new Appended(session, stored, false);
                });
    }

    /**
     * The append statement. Keyed, it also records the seq range under the idempotency key; keyless, it leaves that
     * update out rather than run it with a null key, which found nothing and cost 5% of the statement's PostgreSQL CPU.
     */
    private static String appendStatement(boolean keyed) {
        return "WITH s AS ("
                + " UPDATE chat_sessions SET message_count = message_count + $3, version = version + 1, updated_at = now(),"
                + " tokens_total = tokens_total + $21, reasoning_total = reasoning_total + $22 - $21,"
                + " expires_at = CASE WHEN ttl_sliding THEN now() + ttl_seconds * interval '1 second' ELSE expires_at END"
                + " WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE
                + " AND (max_messages IS NULL OR message_count + $3 <= max_messages) RETURNING " + SESSION_COLUMNS
                + "), m AS ("
                + " INSERT INTO chat_messages (session_id, seq, role, content, metadata, tool_name, model, provider, input_tokens,"
                + " output_tokens, files, images, reasoning, token_count, reasoning_token_count, token_count_estimated,"
                + " tokens_through, total_through, created_at, search_doc)"
                + " SELECT s.id, s.message_count - $3 + t.ord, t.role, t.content, t.metadata::jsonb, t.tool, t.model, t.provider,"
                + " t.input, t.output, string_to_array(NULLIF(t.files, ''), ',')::uuid[], string_to_array(NULLIF(t.images, ''), ',')::uuid[],"
                + " t.reasoning, t.tokens, t.reasoning_tokens, t.estimated, s.tokens_total - $21 + t.tokens_through,"
                + " s.tokens_total + s.reasoning_total - $22 + t.total_through, now(), " + SEARCH_DOC
                + " FROM s, unnest($4::text[], $5::text[], $6::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::int[],"
                + " $14::text[], $15::text[], $16::text[], $7::int[], $17::int[], $18::boolean[], $19::bigint[], $20::bigint[],"
                + " $23::text[]) WITH ORDINALITY AS t(role, content, metadata, tool, model, provider, input, output, files, images,"
                + " reasoning, tokens, reasoning_tokens, estimated, tokens_through, total_through, pieces, ord)"
                + " RETURNING id AS m_id, seq, role, content, metadata::text AS m_metadata, tool_name, model, provider, input_tokens,"
                + " output_tokens, files::text[] AS files, images::text[] AS images, reasoning, token_count, token_count_estimated,"
                + " reasoning_token_count, created_at AS m_created_at, tokens_through, total_through, redacted, edits"
                + (keyed ? "), k AS ("
                        + " UPDATE message_idempotency_keys SET first_seq = s.message_count - $3 + 1, last_seq = s.message_count"
                        + " FROM s WHERE message_idempotency_keys.session_id = s.id AND message_idempotency_keys.key = $8"
                        // keyless: $8 (null) only keeps the numbering; a SELECT that nothing reads is never run
                        : "), k AS (SELECT $8::text")
                + ") SELECT s.*, m.* FROM s CROSS JOIN m ORDER BY m.seq";
    }

    /**
     * Claims an idempotency key for the live session. Answers true when this request owns it now; false when
     * the key was used before (committed, or by a concurrent request this one waited for) or the session is missing.
     */
    Uni<Boolean> claimKey(SqlClient sql, String tenant, String cid, String key, byte[] requestHash) {
        return sql.preparedQuery("INSERT INTO message_idempotency_keys (session_id, key, request_hash) "
                        + "SELECT id, $3, $4 FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE
                        + " ON CONFLICT DO NOTHING")
                .execute(Tuple.of(tenant, cid, key, Buffer.buffer(requestHash)))
                .map(rows -> rows.rowCount() == 1);
    }

    /** What an earlier request stored under the key, or null when neither the key nor the session exists. */
    Uni<UsedKey> usedKey(SqlClient sql, String tenant, String cid, String key) {
        return sql.preparedQuery("SELECT k.request_hash, k.first_seq, k.last_seq, " + sessionColumns("s.")
                        + " FROM message_idempotency_keys k JOIN chat_sessions s ON s.id = k.session_id"
                        + " WHERE s.tenant = $1 AND s.continuation_id = $2 AND " + LIVE_S + " AND k.key = $3")
                .execute(Tuple.of(tenant, cid, key))
                .map(rows -> first(rows, row -> new UsedKey(row.getBuffer("request_hash").getBytes(),
                        row.getLong("first_seq"), row.getLong("last_seq"), session(row))));
    }

    /** Messages with {@code from <= seq <= to}, ascending. */
    Uni<List<Message>> range(SqlClient sql, UUID sessionId, long from, long to) {
        return sql.preparedQuery("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq")
                .execute(Tuple.of(sessionId, from, to))
                .map(SessionStore::messages);
    }

    Uni<List<Message>> range(UUID sessionId, long from, long to) {
        return db.run(pool -> range(pool, sessionId, from, to));
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
        return db.run(pool -> pool.preparedQuery("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = $1"
                        + " AND ($2::text IS NULL OR tool_name = $2) AND ($3::text IS NULL OR model = $3) AND seq > $4"
                        + " ORDER BY seq LIMIT $5")
                .execute(Tuple.from(Arrays.asList(sessionId, toolName, model, afterSeq, limit)))
                .map(SessionStore::messages));
    }

    /**
     * Redacts the live session's message {@code seq}: content, metadata, reasoning and file references are wiped, the row
     * stays as a tombstone. Answers the tombstone (also when it already was one), or null when there is no such message.
     */
    Uni<Message> redact(String tenant, String cid, long seq) {
        return db.run(pool -> pool.preparedQuery("UPDATE chat_messages m SET content = '', metadata = '{}', reasoning = NULL, search_doc = ''::tsvector,"
                        + " files = NULL, images = NULL, edits = m.edits + CASE WHEN m.redacted THEN 0 ELSE 1 END, redacted = true"
                        + " FROM chat_sessions s WHERE s.id = m.session_id AND s.tenant = $1 AND s.continuation_id = $2"
                        + " AND " + LIVE_S + " AND m.seq = $3 RETURNING " + qualified("m."))
                .execute(Tuple.of(tenant, cid, seq))
                .map(rows -> first(rows, r -> message(r, "id", "metadata", "created_at"))));
    }

    /** The live session's message {@code seq}, locked for a read-modify-write; null when there is none. */
    Uni<Message> findMessageForUpdate(SqlClient sql, String tenant, String cid, long seq) {
        return sql.preparedQuery("SELECT " + qualified("m.") + " FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                        + " WHERE s.tenant = $1 AND s.continuation_id = $2 AND " + LIVE_S
                        + " AND m.seq = $3 FOR UPDATE OF m")
                .execute(Tuple.of(tenant, cid, seq))
                .map(rows -> first(rows, r -> message(r, "id", "metadata", "created_at")));
    }

    /** Replaces a locked message's metadata, counting the edit. */
    Uni<Message> updateMetadata(SqlClient sql, String messageId, String metadata) {
        return sql.preparedQuery("UPDATE chat_messages SET metadata = $2::text::jsonb, edits = edits + 1 WHERE id = $1 RETURNING "
                        + MESSAGE_COLUMNS)
                .execute(Tuple.of(UUID.fromString(messageId), metadata))
                .map(rows -> first(rows, r -> message(r, "id", "metadata", "created_at")));
    }

    /** The message columns of {@link #MESSAGE_COLUMNS} for a table aliased {@code alias}. */
    private static String qualified(String alias) {
        return Arrays.stream(MESSAGE_COLUMNS.split(","))
                .map(String::strip)
                .map(column -> alias + column)
                .reduce((a, b) -> a + ", " + b).orElseThrow();
    }

    /**
     * The next part of an export: messages after {@code afterSeq} through {@code upto}, at most 200 and about 2 MiB of
     * text (always at least one), so an export of any length holds one part in memory at a time.
     */
    Uni<List<Message>> exportPart(UUID sessionId, long afterSeq, long upto) {
        return db.run(pool -> pool.preparedQuery("SELECT * FROM (SELECT " + MESSAGE_COLUMNS + ", sum(octet_length(content)"
                        + " + coalesce(octet_length(reasoning), 0)) OVER (ORDER BY seq) AS bytes FROM chat_messages"
                        + " WHERE session_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 200) part"
                        + " WHERE bytes <= 2097152 OR seq = $2 + 1 ORDER BY seq")
                .execute(Tuple.of(sessionId, afterSeq, upto))
                .map(SessionStore::messages));
    }

    /**
     * Inserts imported messages {@code firstSeq..} with their own times, flags and the token counts to store ({@code tokens},
     * {@code reasoningTokens}), and the running
     * token sums from {@code tokensBefore}/{@code totalBefore}; the caller sets the session's counts afterwards.
     */
    Uni<Void> insertImported(SqlClient sql, UUID sessionId, long firstSeq, List<SessionTransfer.ImportedMessage> part,
                             int[] tokens, int[] reasoningTokens, long tokensBefore, long totalBefore) {
        int n = part.size();
        List<NewMessage> messages = part.stream().map(SessionTransfer.ImportedMessage::message).toList();
        Columns c = new Columns(messages, tokens, reasoningTokens, tokensBefore, totalBefore);
        Boolean[] estimated = new Boolean[n];
        Boolean[] redacted = new Boolean[n];
        OffsetDateTime[] created = new OffsetDateTime[n];
        for (int i = 0; i < n; i++) {
            estimated[i] = part.get(i).tokenCountEstimated();
            redacted[i] = part.get(i).redacted();
            created[i] = part.get(i).createdAt();
        }
        return sql.preparedQuery("INSERT INTO chat_messages (session_id, seq, role, content, metadata, tool_name, model, provider,"
                        + " input_tokens, output_tokens, files, images, reasoning, token_count, reasoning_token_count,"
                        + " token_count_estimated, tokens_through, total_through, created_at, redacted, search_doc)"
                        + " SELECT $1, $2 + t.ord - 1, t.role, t.content, t.metadata::jsonb, t.tool, t.model, t.provider, t.input, t.output,"
                        + " string_to_array(NULLIF(t.files, ''), ',')::uuid[], string_to_array(NULLIF(t.images, ''), ',')::uuid[],"
                        + " t.reasoning, t.tokens, t.reasoning_tokens, t.estimated, t.tokens_through, t.total_through,"
                        + " coalesce(t.created, now()), t.redacted, " + SEARCH_DOC
                        + " FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[],"
                        + " $11::text[], $12::text[], $13::text[], $14::int[], $15::int[], $16::boolean[], $17::bigint[], $18::bigint[],"
                        + " $19::timestamptz[], $20::boolean[], $21::text[]) WITH ORDINALITY AS t(role, content, metadata, tool, model,"
                        + " provider, input, output, files, images, reasoning, tokens, reasoning_tokens, estimated, tokens_through,"
                        + " total_through, created, redacted, pieces, ord)")
                .execute(Tuple.from(Arrays.asList(sessionId, firstSeq, c.roles, c.contents, c.metadata, c.tools, c.models, c.providers,
                        c.inputs, c.outputs, c.files, c.images, c.reasonings, c.counts, c.reasoningCounts, estimated, c.tokensThrough,
                        c.totalThrough, created, redacted, c.pieces)))
                .replaceWithVoid();
    }

    /**
     * A batch of messages as the column arrays an {@code unnest} insert takes, with the running token sums continued
     * from {@code tokensBefore} and {@code totalBefore} (with reasoning); {@code tokens} and {@code total} end where the
     * batch does.
     */
    private static final class Columns {
        final String[] roles;
        final String[] contents;
        final String[] metadata;
        final String[] tools;
        final String[] models;
        final String[] providers;
        final Integer[] inputs;
        final Integer[] outputs;
        final String[] files;
        final String[] images;
        final String[] reasonings;
        final String[] pieces;
        final Integer[] counts;
        final Integer[] reasoningCounts;
        final Long[] tokensThrough;
        final Long[] totalThrough;
        long tokens;
        long total;

        Columns(List<NewMessage> messages, int[] tokenCounts, int[] reasoningTokens, long tokensBefore, long totalBefore) {
            int n = messages.size();
            roles = new String[n];
            contents = new String[n];
            metadata = new String[n];
            tools = new String[n];
            models = new String[n];
            providers = new String[n];
            inputs = new Integer[n];
            outputs = new Integer[n];
            files = new String[n];
            images = new String[n];
            reasonings = new String[n];
            pieces = new String[n];
            counts = new Integer[n];
            reasoningCounts = new Integer[n];
            tokensThrough = new Long[n];
            totalThrough = new Long[n];
            tokens = tokensBefore;
            total = totalBefore;
            for (int i = 0; i < n; i++) {
                NewMessage m = messages.get(i);
                roles[i] = m.role();
                contents[i] = m.content();
                metadata[i] = m.metadata();
                tools[i] = m.toolName();
                models[i] = m.model();
                providers[i] = m.provider();
                inputs[i] = m.inputTokens();
                outputs[i] = m.outputTokens();
                files[i] = String.join(",", m.files());
                images[i] = String.join(",", m.images());
                reasonings[i] = m.reasoning();
                pieces[i] = SearchQuery.pieces(m.content());
                counts[i] = tokenCounts[i];
                reasoningCounts[i] = reasoningTokens[i];
                tokens += tokenCounts[i];
                total += tokenCounts[i] + reasoningTokens[i];
                tokensThrough[i] = tokens;
                totalThrough[i] = total;
            }
        }
    }

    /** Sets an imported session's counts once its messages are in; answers the session as stored. */
    Uni<StoredSession> finishImport(SqlClient sql, UUID sessionId, int count, long tokensTotal, long reasoningTotal) {
        return sql.preparedQuery("UPDATE chat_sessions SET message_count = $2, tokens_total = $3, reasoning_total = $4,"
                        + " version = version + 1 WHERE id = $1 RETURNING " + SESSION_COLUMNS)
                .execute(Tuple.of(sessionId, count, tokensTotal, reasoningTotal))
                .map(rows -> first(rows, SessionStore::session));
    }

    /** Claims an import's idempotency key for the tenant: true when this request owns it now. */
    Uni<Boolean> claimImportKey(SqlClient sql, String tenant, String key, byte[] requestHash, String cid) {
        return sql.preparedQuery("INSERT INTO import_idempotency_keys (tenant, key, request_hash, continuation_id)"
                        + " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(tenant, key, Buffer.buffer(requestHash), cid))
                .map(rows -> rows.rowCount() == 1);
    }

    /** The body hash and session of an import key used before, or null. */
    Uni<UsedImportKey> usedImportKey(SqlClient sql, String tenant, String key) {
        return sql.preparedQuery("SELECT request_hash, continuation_id FROM import_idempotency_keys WHERE tenant = $1 AND key = $2")
                .execute(Tuple.of(tenant, key))
                .map(rows -> first(rows, r -> new UsedImportKey(r.getBuffer("request_hash").getBytes(), r.getString("continuation_id"))));
    }

    record UsedImportKey(byte[] requestHash, String continuationId) {
    }

    /** Up to {@code limit} messages below {@code beforeSeq}, newest first. */
    Uni<List<Message>> before(UUID sessionId, long beforeSeq, int limit) {
        return db.run(pool -> pool.preparedQuery("SELECT " + MESSAGE_COLUMNS
                        + " FROM chat_messages WHERE session_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3")
                .execute(Tuple.of(sessionId, beforeSeq, limit))
                .map(SessionStore::messages));
    }

    /**
     * Ranked search over the tenant's live sessions with the filters given, best first, after the cursor's (rank, id).
     * The rank reads the stored search_doc; the snippet is computed for the page only. The query is MATERIALIZED so it
     * is built once: inlined, PostgreSQL would rebuild it for every row it rechecks and ranks.
     */
    Uni<List<SearchHit>> search(String tenant, SearchQuery query, SearchFilters filters, Float afterRank, UUID afterId, int limit) {
        String words = "(CASE WHEN $2 <> '' THEN websearch_to_tsquery('english', $2) END)";
        String pieces = "(CASE WHEN $3 <> '' THEN to_tsquery('simple', $3) END)";
        String statement = "WITH q AS MATERIALIZED (SELECT coalesce(" + words + " && " + pieces + ", " + words + ", " + pieces + ") AS q,"
                + " " + words + " AS words),"
                + " hits AS (SELECT s.continuation_id, m.id, m.seq, m.role, m.content, m.metadata::text AS metadata, m.tool_name,"
                + " m.model, m.token_count, m.created_at, ts_rank(m.search_doc, q.q) AS rank, q.words"
                + " FROM q, chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                + " WHERE m.search_doc @@ q.q AND s.tenant = $1 AND " + LIVE_S
                + " AND ($4::text IS NULL OR s.user_id = $4) AND ($5::text IS NULL OR s.continuation_id = $5)"
                + " AND ($6::text IS NULL OR m.role = $6) AND ($7::text IS NULL OR m.tool_name = $7)"
                + " AND ($8::text IS NULL OR m.model = $8) AND ($9::timestamptz IS NULL OR m.created_at >= $9)"
                + " AND ($10::timestamptz IS NULL OR m.created_at < $10) AND ($11::text IS NULL OR m.metadata @> $11::jsonb)"
                + " AND NOT m.redacted)"
                + " SELECT h.*, CASE WHEN h.words IS NOT NULL THEN ts_headline('english', left(h.content, 262144), h.words,"
                + " 'StartSel=" + SearchQuery.MARK + ", StopSel=" + SearchQuery.UNMARK + ", MaxWords=30, MinWords=10, MaxFragments=2,"
                + " FragmentDelimiter=\" … \"') END AS headline"
                + " FROM (SELECT * FROM hits WHERE $12::real IS NULL OR (rank, id) < ($12::real, $13::uuid)"
                + " ORDER BY rank DESC, id DESC LIMIT $14) h ORDER BY h.rank DESC, h.id DESC";
        return db.run(pool -> pool.preparedQuery(statement)
                .execute(Tuple.from(Arrays.asList(tenant, query.words, query.pieces, filters.userId(), filters.continuationId(),
                        filters.role(), filters.toolName(), filters.model(), filters.from(), filters.to(), filters.metadata(),
                        afterRank, afterId, limit)))
                .map(rows -> {
                    List<SearchHit> hits = new ArrayList<>();
                    for (Row r : rows) {
                        String content = r.getString("content");
                        hits.add(new SearchHit(r.getString("continuation_id"), r.getUUID("id").toString(), r.getLong("seq"),
                                r.getString("role"), content, r.getString("metadata"), r.getString("tool_name"), r.getString("model"),
                                r.getInteger("token_count"), Times.format(r.getOffsetDateTime("created_at")), r.getFloat("rank"),
                                query.snippet(r.getString("headline"), content)));
                    }
                    return hits;
                }));
    }

    /** What a search may be narrowed to; a null field does not narrow. {@code metadata} is a JSON object to contain. */
    record SearchFilters(String userId, String continuationId, String role, String toolName, String model,
                         OffsetDateTime from, OffsetDateTime to, String metadata) {
    }

    /**
     * Deletes up to {@code batch} expired sessions (messages cascade); answers how many. An expired session that others
     * continue stays until they are gone: their histories hold its messages.
     */
    Uni<Integer> purgeExpired(int batch) {
        return db.run(pool -> pool.preparedQuery("DELETE FROM chat_sessions WHERE id IN "
                        + "(SELECT s.id FROM chat_sessions s WHERE s.expires_at <= now()"
                        + " AND NOT EXISTS (SELECT 1 FROM chat_sessions c WHERE c.parent_id = s.id) LIMIT $1)")
                .execute(Tuple.of(batch))
                .map(RowSet::rowCount));
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

    /** A session's stored messages plus the session they were appended to. */
    record Appended(StoredSession session, List<Message> messages, boolean replayed) {
    }

    /** An idempotency key already used: the body hash it was used with, the seq range it stored, its session. */
    record UsedKey(byte[] requestHash, long firstSeq, long lastSeq, StoredSession session) {
    }

    private static String sessionColumns(String alias) {
        return String.join(", ", alias + "id", alias + "continuation_id", alias + "user_id", alias + "title",
                alias + "metadata::text AS metadata", alias + "message_count", alias + "version", alias + "created_at",
                alias + "updated_at", alias + "expires_at", alias + "parent_id", alias + "parent_continuation_id",
                alias + "parent_seq", alias + "depth", alias + "max_messages", alias + "ttl_seconds", alias + "ttl_sliding",
                alias + "tokens_total", alias + "reasoning_total");
    }

    static StoredSession session(Row row) {
        OffsetDateTime expires = row.getOffsetDateTime("expires_at");
        int count = row.getInteger("message_count");
        Integer max = row.getInteger("max_messages");
        Session view = new Session(row.getString("continuation_id"), row.getString("user_id"), row.getString("title"),
                row.getString("metadata"), count, Times.format(row.getOffsetDateTime("created_at")),
                Times.format(row.getOffsetDateTime("updated_at")), Times.format(expires),
                row.getString("parent_continuation_id"), row.getInteger("parent_seq"), max,
                max == null ? null : Math.max(0, max - count), row.getLong("ttl_seconds"), row.getBoolean("ttl_sliding"));
        return new StoredSession(row.getUUID("id"), row.getLong("version"), expires, row.getUUID("parent_id"),
                row.getInteger("depth"), row.getLong("tokens_total"), row.getLong("reasoning_total"), view);
    }

    static List<Message> messages(RowSet<Row> rows) {
        List<Message> list = new ArrayList<>(rows.size());
        for (Row r : rows) {
            list.add(message(r, "id", "metadata", "created_at"));
        }
        return list;
    }

    private static Message message(Row r, String idColumn, String metadataColumn, String createdColumn) {
        Integer input = r.getInteger("input_tokens");
        Integer output = r.getInteger("output_tokens");
        return new Message(r.getUUID(idColumn).toString(), r.getLong("seq"), r.getString("role"), r.getString("content"),
                r.getString(metadataColumn), r.getString("tool_name"), r.getString("model"), r.getString("provider"),
                input == null && output == null ? null : new Message.Usage(input, output), ids(r, "files"), ids(r, "images"),
                r.getString("reasoning"), r.getInteger("token_count"), r.getBoolean("token_count_estimated"),
                Times.format(r.getOffsetDateTime(createdColumn)), r.getBoolean("redacted"), r.getInteger("reasoning_token_count"),
                r.getLong("tokens_through"), r.getLong("total_through"), r.getInteger("edits"));
    }

    private static List<String> ids(Row row, String column) {
        String[] ids = row.getArrayOfStrings(column);
        return ids == null ? List.of() : List.of(ids);
    }

    private static <T> T first(RowSet<Row> rows, Function<Row, T> mapper) {
        var it = rows.iterator();
        return it.hasNext() ? mapper.apply(it.next()) : null;
    }
}
