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
    private static final String MESSAGE_COLUMNS = "id, seq, role, content, metadata::text AS metadata, token_count, created_at";
    private static final String LIVE = "(expires_at IS NULL OR expires_at > now())";

    private final Database db;

    public SessionStore(Database db) {
        this.db = db;
    }

    /** Removes an expired session that still holds the id, so the id can be taken again. */
    Uni<Void> deleteIfExpired(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("DELETE FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2 AND expires_at <= now()")
                .execute(Tuple.of(tenant, cid)).replaceWithVoid();
    }

    /** Inserts the session, or answers null when the id is taken. */
    Uni<StoredSession> insert(SqlClient sql, String tenant, SessionInput input) {
        return sql.preparedQuery("INSERT INTO chat_sessions (tenant, continuation_id, user_id, title, metadata, expires_at) "
                        + "VALUES ($1, $2, $3, $4, $5::text::jsonb, now() + $6::bigint * interval '1 second') "
                        + "ON CONFLICT (tenant, continuation_id) DO NOTHING RETURNING " + SESSION_COLUMNS)
                .execute(Tuple.from(Arrays.asList(tenant, input.continuationId(), input.userId(), input.title(),
                        input.metadata(), input.ttlSeconds())))
                .map(rows -> first(rows, SessionStore::session));
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
                        + "version = version + 1, updated_at = now() WHERE id = $1 RETURNING " + SESSION_COLUMNS)
                .execute(Tuple.from(Arrays.asList(id, title, metadata, ttlSeconds, keepExpiry)))
                .map(rows -> first(rows, SessionStore::session));
    }

    /** Deletes the live session and, by cascade, its messages; answers whether one was deleted. */
    Uni<Boolean> delete(String tenant, String cid) {
        return db.run(pool -> pool.preparedQuery("DELETE FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE)
                .execute(Tuple.of(tenant, cid))
                .map(rows -> rows.rowCount() > 0));
    }

    /** Most recently updated first; the cursor holds the last row's (updated_at, id). */
    Uni<Page<Session>> list(String tenant, String userId, int limit, String cursor) {
        KeysetPage.After after = KeysetPage.after(cursor);
        Tuple args = Tuple.from(Arrays.asList(tenant, userId, after.time(), after.id(), limit + 1));
        return db.run(pool -> pool.preparedQuery("SELECT " + SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND ($2::text IS NULL OR user_id = $2) AND " + LIVE
                        + " AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4::uuid)) "
                        + "ORDER BY updated_at DESC, id DESC LIMIT $5")
                .execute(args)
                .map(rows -> KeysetPage.of(rows, limit, "updated_at", r -> session(r).view())));
    }

    /**
     * Appends messages in one statement: bumps the live session's count and version, inserts the messages with
     * the numbers that frees, and records their seq range under the idempotency key (if any).
     * Answers the updated session and the stored messages, or null when no live session has that id.
     */
    Uni<Appended> append(SqlClient sql, String tenant, String cid, List<NewMessage> messages, String idempotencyKey) {
        int n = messages.size();
        String[] roles = new String[n];
        String[] contents = new String[n];
        String[] metadata = new String[n];
        Integer[] tokens = new Integer[n];
        for (int i = 0; i < n; i++) {
            NewMessage m = messages.get(i);
            roles[i] = m.role();
            contents[i] = m.content();
            metadata[i] = m.metadata();
            tokens[i] = m.tokenCount();
        }
        String statement = "WITH s AS ("
                + " UPDATE chat_sessions SET message_count = message_count + $3, version = version + 1, updated_at = now()"
                + " WHERE tenant = $1 AND continuation_id = $2 AND " + LIVE + " RETURNING " + SESSION_COLUMNS
                + "), m AS ("
                + " INSERT INTO chat_messages (session_id, seq, role, content, metadata, token_count, created_at)"
                + " SELECT s.id, s.message_count - $3 + t.ord, t.role, t.content, t.metadata::jsonb, t.token_count, now()"
                + " FROM s, unnest($4::text[], $5::text[], $6::text[], $7::int[]) WITH ORDINALITY AS t(role, content, metadata, token_count, ord)"
                + " RETURNING id AS m_id, seq, role, content, metadata::text AS m_metadata, token_count, created_at AS m_created_at"
                + "), k AS ("
                + " UPDATE message_idempotency_keys SET first_seq = s.message_count - $3 + 1, last_seq = s.message_count"
                + " FROM s WHERE message_idempotency_keys.session_id = s.id AND message_idempotency_keys.key = $8"
                + ") SELECT s.*, m.* FROM s CROSS JOIN m ORDER BY m.seq";
        return sql.preparedQuery(statement)
                .execute(Tuple.from(Arrays.asList(tenant, cid, n, roles, contents, metadata, tokens, idempotencyKey)))
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
                        stored.add(new Message(row.getUUID("m_id").toString(), row.getLong("seq"), row.getString("role"),
                                row.getString("content"), row.getString("m_metadata"), row.getInteger("token_count"),
                                Times.format(row.getOffsetDateTime("m_created_at"))));
                    }
                    return new Appended(session, stored, false);
                });
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
                        + " WHERE s.tenant = $1 AND s.continuation_id = $2 AND (s.expires_at IS NULL OR s.expires_at > now()) AND k.key = $3")
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

    /** Up to {@code limit} messages below {@code beforeSeq}, newest first. */
    Uni<List<Message>> before(UUID sessionId, long beforeSeq, int limit) {
        return db.run(pool -> pool.preparedQuery("SELECT " + MESSAGE_COLUMNS
                        + " FROM chat_messages WHERE session_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3")
                .execute(Tuple.of(sessionId, beforeSeq, limit))
                .map(SessionStore::messages));
    }

    /** Ranked full-text search over the tenant's live sessions; offset paging keeps rank order stable. */
    Uni<List<SearchHit>> search(String tenant, String query, String userId, int limit, int offset) {
        return db.run(pool -> pool.preparedQuery("SELECT s.continuation_id, m.id, m.seq, m.role, m.content, m.metadata::text AS metadata,"
                        + " m.token_count, m.created_at, ts_rank(m.search_vector, q) AS rank"
                        + " FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id, websearch_to_tsquery('english', $2) q"
                        + " WHERE s.tenant = $1 AND ($3::text IS NULL OR s.user_id = $3)"
                        + " AND (s.expires_at IS NULL OR s.expires_at > now()) AND m.search_vector @@ q"
                        + " ORDER BY rank DESC, m.created_at DESC, m.id LIMIT $4 OFFSET $5")
                .execute(Tuple.from(Arrays.asList(tenant, query, userId, limit, offset)))
                .map(rows -> {
                    List<SearchHit> hits = new ArrayList<>();
                    for (Row r : rows) {
                        hits.add(new SearchHit(r.getString("continuation_id"), r.getUUID("id").toString(), r.getLong("seq"),
                                r.getString("role"), r.getString("content"), r.getString("metadata"), r.getInteger("token_count"),
                                Times.format(r.getOffsetDateTime("created_at")), r.getDouble("rank")));
                    }
                    return hits;
                }));
    }

    /** Deletes up to {@code batch} expired sessions (messages cascade); answers how many. */
    Uni<Integer> purgeExpired(int batch) {
        return db.run(pool -> pool.preparedQuery("DELETE FROM chat_sessions WHERE id IN "
                        + "(SELECT id FROM chat_sessions WHERE expires_at <= now() LIMIT $1)")
                .execute(Tuple.of(batch))
                .map(RowSet::rowCount));
    }

    /** Forgets idempotency keys older than {@code seconds}. */
    Uni<Integer> purgeKeys(long seconds) {
        return db.run(pool -> pool.preparedQuery("DELETE FROM message_idempotency_keys WHERE created_at < now() - $1::bigint * interval '1 second'")
                .execute(Tuple.of(seconds))
                .map(RowSet::rowCount));
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
                alias + "updated_at", alias + "expires_at");
    }

    static StoredSession session(Row row) {
        OffsetDateTime expires = row.getOffsetDateTime("expires_at");
        Session view = new Session(row.getString("continuation_id"), row.getString("user_id"), row.getString("title"),
                row.getString("metadata"), row.getInteger("message_count"), Times.format(row.getOffsetDateTime("created_at")),
                Times.format(row.getOffsetDateTime("updated_at")), Times.format(expires));
        return new StoredSession(row.getUUID("id"), row.getLong("version"), expires, view);
    }

    private static List<Message> messages(RowSet<Row> rows) {
        List<Message> list = new ArrayList<>(rows.size());
        for (Row r : rows) {
            list.add(new Message(r.getUUID("id").toString(), r.getLong("seq"), r.getString("role"), r.getString("content"),
                    r.getString("metadata"), r.getInteger("token_count"), Times.format(r.getOffsetDateTime("created_at"))));
        }
        return list;
    }

    private static <T> T first(RowSet<Row> rows, Function<Row, T> mapper) {
        var it = rows.iterator();
        return it.hasNext() ? mapper.apply(it.next()) : null;
    }
}
