package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.security.Cipher;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.common.KeysetPage;
import dev.exai.store.common.Page;
import dev.exai.store.common.RowQuery;
import dev.exai.store.common.RowSql;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Session rows in PostgreSQL ({@code chat_sessions}): create, find, lock, update, delete, list, chains of
 * continuations and the expiry purge. Each method is one statement; the services decide which run together in a
 * transaction.
 */
@ApplicationScoped
class SessionRows {

    /** The session row view's columns ({@link SessionRow#COLUMNS}) as SQL over chat_sessions. */
    private static final Map<String, RowSql.Column> VIEW = Map.of("id", new RowSql.Column("id", "uuid"),
            "continuation_id", new RowSql.Column("continuation_id", "text"), "title", new RowSql.Column("title", "text"),
            "metadata", new RowSql.Column("metadata", "jsonb"), "user_id", new RowSql.Column("user_id", "text"),
            "created_at", new RowSql.Column("created_at", "timestamptz"), "updated_at", new RowSql.Column("updated_at", "timestamptz"));

    private final Database db;
    private final Cipher cipher;

    SessionRows(Database db, Cipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /**
     * The title as stored: sealed for the tenant with encryption on. Its blind words go to title_doc, from the
     * parameters {@code $n} (plain title), {@code $n+1} (its pieces) and {@code $n+2} (the key) that {@link #titleArgs} adds.
     */
    private String titleDoc(int n) {
        return !cipher.enabled() ? "NULL::tsvector" : Rows.wordsDoc("simple", "$" + n, "$" + (n + 1), "$" + (n + 2));
    }

    private void titleArgs(List<Object> args, String tenant, String title) {
        if (cipher.enabled()) {
            Cipher.Blind blind = cipher.blind(tenant);
            args.add(title == null ? "" : title);
            args.add(title == null ? "" : SearchQuery.pieces(title, true));
            args.add(Buffer.buffer(blind.key()));
        }
    }

    /** Removes an expired session that still holds the id, so the id can be taken again. */
    Uni<Void> deleteIfExpired(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("WITH gone AS (DELETE FROM chat_sessions s WHERE tenant = $1 AND continuation_id = $2"
                        + " AND expires_at <= now() AND NOT EXISTS (SELECT 1 FROM chat_sessions c WHERE c.parent_id = s.id)"
                        + " RETURNING tenant, continuation_id), a AS (" + AuditTrail.rowsGone("gone", "session.expire") + ") "
                        + EventOutbox.sessionEvents("gone", "session.expired"))
                .execute(Tuple.of(tenant, cid)).replaceWithVoid();
    }


    /** Inserts the session (a continuation of {@code parent} at {@code parentSeq} when given), or answers null when the id is taken. */
    Uni<StoredSession> insert(SqlClient sql, String tenant, SessionInput input, StoredSession parent, Integer parentSeq) {
        List<Object> args = new ArrayList<>(Arrays.asList(tenant, input.continuationId(), input.userId(),
                cipher.seal(tenant, input.title()), input.metadata(), input.ttlSeconds(), input.ttlSliding(), input.maxMessages(),
                parent == null ? null : parent.id(), parent == null ? null : parent.view().continuationId(),
                parentSeq, parent == null ? 0 : parent.depth() + 1));
        titleArgs(args, tenant, input.title());
        return sql.preparedQuery("INSERT INTO chat_sessions (tenant, continuation_id, user_id, title, metadata, expires_at,"
                        + " ttl_seconds, ttl_sliding, max_messages, parent_id, parent_continuation_id, parent_seq, depth, title_doc) "
                        + "VALUES ($1, $2, $3, $4, $5::text::jsonb, now() + $6::bigint * interval '1 second', $6, $7, $8, $9, $10, $11, $12, "
                        + titleDoc(13) + ") ON CONFLICT (tenant, continuation_id) DO NOTHING RETURNING " + Rows.SESSION_COLUMNS)
                .execute(Tuple.from(args))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher)));
    }


    /** The live session, locked against deletion while a continuation of it is made; or null. */
    Uni<StoredSession> findToContinue(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT " + Rows.SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND continuation_id = $2 AND " + Rows.LIVE + " FOR KEY SHARE")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher)));
    }


    /** The tenant's session by id, live or expired (an expired parent stays readable through its continuations), or null. */
    Uni<StoredSession> findIncludingExpired(String tenant, String cid) {
        return db.run(pool -> pool.preparedQuery("SELECT " + Rows.SESSION_COLUMNS + " FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher))));
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


    /** A session's row id and the continuations whose histories include one of its messages. */
    record Covering(UUID sessionId, List<UUID> continuations) {
    }

    /**
     * Which histories include message {@code seq} of {@code cid}: its own, those of the sessions that continue it from
     * that message or later, and those of all their continuations (each lends them at least its first message).
     */
    Uni<Covering> covering(SqlClient sql, String tenant, String cid, long seq) {
        return sql.preparedQuery("WITH RECURSIVE s AS (SELECT id FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2),"
                        + " c(id) AS (SELECT ch.id FROM chat_sessions ch, s WHERE ch.parent_id = s.id AND ch.parent_seq >= $3"
                        + " UNION SELECT ch.id FROM chat_sessions ch JOIN c ON ch.parent_id = c.id WHERE ch.parent_seq >= 1)"
                        + " SELECT (SELECT id FROM s) AS session_id, array(SELECT id FROM c) AS continuations")
                .execute(Tuple.of(tenant, cid, seq))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return new Covering(r.getUUID("session_id"), List.of(r.getArrayOfUUIDs("continuations")));
                });
    }

    /** The chain ending in the live session {@code cid}, root first: each session with how many of its messages it lends. */
    Uni<List<ChainLink>> chain(String tenant, String cid) {
        return db.run(pool -> pool.preparedQuery("WITH RECURSIVE up AS ("
                        + " SELECT id, continuation_id, parent_id, parent_seq, message_count::bigint AS upto, 0 AS lvl FROM chat_sessions"
                        + "  WHERE tenant = $1 AND continuation_id = $2 AND " + Rows.LIVE
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
        return sql.preparedQuery("SELECT " + Rows.SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND continuation_id = $2 AND " + Rows.LIVE)
                .execute(Tuple.of(tenant, cid))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher)));
    }

    Uni<StoredSession> find(String tenant, String cid) {
        return db.run(pool -> find(pool, tenant, cid));
    }


    /** Locks the live session row for a read-modify-write, or answers null. */
    Uni<StoredSession> findForUpdate(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT " + Rows.SESSION_COLUMNS + " FROM chat_sessions "
                        + "WHERE tenant = $1 AND continuation_id = $2 AND " + Rows.LIVE + " FOR UPDATE")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher)));
    }


    /** Writes title, metadata and expiry of a locked session; {@code ttlSeconds} null means no expiry. */
    Uni<StoredSession> update(SqlClient sql, String tenant, UUID id, String title, String metadata, Long ttlSeconds, boolean keepExpiry) {
        List<Object> args = new ArrayList<>(Arrays.asList(id, cipher.seal(tenant, title), metadata, ttlSeconds, keepExpiry));
        titleArgs(args, tenant, title);
        return sql.preparedQuery("UPDATE chat_sessions SET title = $2, metadata = $3::text::jsonb, title_doc = " + titleDoc(6) + ", "
                        + "expires_at = CASE WHEN $5::boolean THEN expires_at ELSE now() + $4::bigint * interval '1 second' END, "
                        + "ttl_seconds = CASE WHEN $5::boolean THEN ttl_seconds ELSE $4::bigint END, "
                        + "version = version + 1, updated_at = now() WHERE id = $1 RETURNING " + Rows.SESSION_COLUMNS)
                .execute(Tuple.from(args))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher)));
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
        String q = filters.titleContains();
        boolean blind = q != null && cipher.enabled();
        String titleLike = q == null || blind ? null : "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        List<Object> args = new ArrayList<>(Arrays.asList(tenant, filters.userId(), after.time(), after.id(), limit + 1, filters.metadata(),
                titleLike, filters.updatedAfter()));
        String titleWords = "";
        if (blind) {
            // encryption on: the title's words, each of them, through the blind index (title_doc)
            SearchQuery words = SearchQuery.parse(q, true);
            Cipher.Blind pads = cipher.blind(tenant);
            args.addAll(List.of(words.words, words.pieces, Buffer.buffer(pads.key())));
            titleWords = " AND title_doc @@ exai_blind_query(" + SearchQuery.both("(CASE WHEN $9 <> '' THEN plainto_tsquery('simple', $9) END)",
                    "(CASE WHEN $10 <> '' THEN to_tsquery('simple', $10) END)") + ", $11::bytea)";
        }
        String statement = "SELECT " + Rows.SESSION_COLUMNS + " FROM chat_sessions "
                + "WHERE tenant = $1 AND ($2::text IS NULL OR user_id = $2) AND " + Rows.LIVE
                + " AND ($6::text IS NULL OR metadata @> $6::jsonb) AND ($7::text IS NULL OR title ILIKE $7)"
                + " AND ($8::timestamptz IS NULL OR updated_at > $8)" + titleWords
                + " AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3, $4::uuid)) "
                + "ORDER BY updated_at DESC, id DESC LIMIT $5";
        return db.run(pool -> pool.preparedQuery(statement)
                .execute(Tuple.from(args))
                .map(rows -> KeysetPage.of(rows, limit, "updated_at", r -> Rows.session(r, cipher).view())));
    }


    /**
     * Deletes up to {@code batch} expired sessions (messages cascade); answers how many. An expired session that others
     * continue stays until they are gone: their histories hold its messages.
     */
    Uni<Integer> purgeExpired(int batch) {
        return db.run(pool -> pool.preparedQuery("WITH gone AS (DELETE FROM chat_sessions WHERE id IN "
                        + "(SELECT s.id FROM chat_sessions s WHERE s.expires_at <= now()"
                        + " AND NOT EXISTS (SELECT 1 FROM chat_sessions c WHERE c.parent_id = s.id) LIMIT $1)"
                        + " RETURNING tenant, continuation_id), a AS (" + AuditTrail.rowsGone("gone", "session.expire")
                        + "), e AS (" + EventOutbox.sessionEvents("gone", "session.expired")
                        + ") SELECT count(*) FROM gone")
                .execute(Tuple.of(batch))
                .map(rows -> rows.iterator().next().getLong(0).intValue()));
    }


    /** The tenant's live session rows that the query selects, in its order. */
    Uni<List<SessionRow>> rows(SqlClient sql, String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        String statement = "SELECT id, continuation_id, title, metadata::text AS metadata, user_id, created_at, updated_at"
                + " FROM chat_sessions WHERE tenant = $1 AND " + Rows.LIVE + " AND (" + where + ") ORDER BY "
                + RowSql.orderBy(query, VIEW, "id") + (query.limit() == null ? "" : " LIMIT " + query.limit()) + " OFFSET " + query.offset();
        return sql.preparedQuery(statement).execute(Tuple.from(params)).map(found -> {
            List<SessionRow> list = new ArrayList<>(found.size());
            for (Row r : found) {
                list.add(new SessionRow(r.getUUID("id"), r.getString("continuation_id"), cipher.open(r.getString("title")), r.getString("metadata"),
                        r.getString("user_id"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at")));
            }
            return list;
        });
    }

    Uni<List<SessionRow>> rows(String tenant, RowQuery query) {
        return db.run(pool -> rows(pool, tenant, query));
    }

    /** How many session rows the query's filters select, whatever its window. */
    Uni<Long> count(String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        return db.run(pool -> pool.preparedQuery("SELECT count(*) FROM chat_sessions WHERE tenant = $1 AND " + Rows.LIVE
                        + " AND (" + where + ")")
                .execute(Tuple.from(params)).map(found -> found.iterator().next().getLong(0)));
    }

    /** The tenant's live session with that id, or null. */
    Uni<StoredSession> findById(SqlClient sql, String tenant, UUID id) {
        return sql.preparedQuery("SELECT " + Rows.SESSION_COLUMNS + " FROM chat_sessions WHERE tenant = $1 AND id = $2 AND "
                        + Rows.LIVE)
                .execute(Tuple.of(tenant, id))
                .map(found -> Rows.first(found, r -> Rows.session(r, cipher)));
    }
}
