package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.session.SessionStore.Appended;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The conversation store's units of work: each writes PostgreSQL first (a 201 means committed) and then
 * the Redis cache; reads try Redis and fall back to PostgreSQL, re-warming the cache on the way.
 */
@ApplicationScoped
public class SessionService {

    private final Database db;
    private final SessionStore store;
    private final SessionCache cache;

    public SessionService(Database db, SessionStore store, SessionCache cache) {
        this.db = db;
        this.store = store;
        this.cache = cache;
    }

    /** Creates a session; 409 when the id is taken by a live session. */
    public Uni<Session> create(String tenant, SessionInput input) {
        return db.inTransaction(conn -> store.deleteIfExpired(conn, tenant, input.continuationId())
                        .chain(() -> store.insert(conn, tenant, input)))
                .onItem().ifNull().failWith(() -> ProblemException.conflict(
                        "a session with continuation_id " + input.continuationId() + " already exists"))
                .call(created -> cache.write(tenant, input.continuationId(), created, List.of()))
                .map(StoredSession::view);
    }

    /** Gets or creates; the boolean tells whether it was created. */
    public Uni<Created> getOrCreate(String tenant, SessionInput input) {
        return db.inTransaction(conn -> getOrCreate(conn, tenant, input))
                .call(result -> result.created()
                        ? cache.write(tenant, input.continuationId(), result.session(), List.of())
                        : Uni.createFrom().voidItem())
                .map(result -> new Created(result.session().view(), result.created()));
    }

    private Uni<StoredCreated> getOrCreate(SqlConnection conn, String tenant, SessionInput input) {
        return store.deleteIfExpired(conn, tenant, input.continuationId())
                .chain(() -> store.insert(conn, tenant, input))
                .chain(inserted -> inserted != null
                        ? Uni.createFrom().item(new StoredCreated(inserted, true))
                        : store.find(conn, tenant, input.continuationId()).map(found -> new StoredCreated(found, false)));
    }

    /** The session's JSON as served: from the cache verbatim, or serialized from PostgreSQL's row. */
    public Uni<String> getJson(String tenant, String cid) {
        return cache.read(tenant, cid, null, null)
                .chain(cached -> {
                    if (cached != null) {
                        return Uni.createFrom().item(expired(cached) ? null : cached.sessionJson());
                    }
                    return store.find(tenant, cid).map(found -> found == null ? null : cache.toJson(found.view()));
                })
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid));
    }

    public Uni<Page<Session>> list(String tenant, String userId, int limit, String cursor) {
        return store.list(tenant, userId, limit, cursor);
    }

    /** Applies {@code change} to the locked row's (title, metadata, ttl) and stores the result. */
    public Uni<Session> patch(String tenant, String cid, UnaryOperator<SessionPatch> change) {
        return db.inTransaction(conn -> store.findForUpdate(conn, tenant, cid)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                        .chain(current -> {
                            SessionPatch patched = change.apply(new SessionPatch(current.view().title(), current.view().metadata(), null, true));
                            return store.update(conn, current.id(), patched.title(), patched.metadata(), patched.ttlSeconds(), patched.keepExpiry());
                        }))
                .call(updated -> cache.write(tenant, cid, updated, List.of()))
                .map(StoredSession::view);
    }

    public Uni<Void> delete(String tenant, String cid) {
        return store.delete(tenant, cid)
                .chain(deleted -> deleted
                        ? cache.evict(tenant, cid)
                        : Uni.createFrom().failure(ProblemException.notFound("session " + cid)));
    }

    /**
     * Appends in order, in one transaction: optionally get-or-create the session, claim the idempotency key,
     * then number and insert the messages. A key used before answers the first result (same body) or 422.
     */
    public Uni<Appended> append(String tenant, String cid, List<NewMessage> messages, boolean create,
                                String idempotencyKey, byte[] requestHash) {
        Uni<Appended> stored = !create && idempotencyKey == null
                // a single statement is atomic on its own: no BEGIN/COMMIT round trips on the common path
                ? db.run(pool -> store.append(pool, tenant, cid, messages, null))
                : appendInTransaction(tenant, cid, messages, create, idempotencyKey, requestHash);
        return stored
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .call(appended -> appended.replayed()
                        ? Uni.createFrom().voidItem()
                        : cache.write(tenant, cid, appended.session(), appended.messages()));
    }

    private Uni<Appended> appendInTransaction(String tenant, String cid, List<NewMessage> messages, boolean create,
                                              String idempotencyKey, byte[] requestHash) {
        return db.inTransaction(conn -> {
                    Uni<Void> ensured = create
                            ? getOrCreate(conn, tenant, new SessionInput(cid, null, null, "{}", null)).replaceWithVoid()
                            : Uni.createFrom().voidItem();
                    if (idempotencyKey == null) {
                        return ensured.chain(() -> store.append(conn, tenant, cid, messages, null));
                    }
                    return ensured.chain(() -> store.claimKey(conn, tenant, cid, idempotencyKey, requestHash))
                            .chain(claimed -> claimed
                                    ? store.append(conn, tenant, cid, messages, idempotencyKey)
                                    : replay(conn, tenant, cid, idempotencyKey, requestHash));
                });
    }

    private Uni<Appended> replay(SqlConnection conn, String tenant, String cid, String key, byte[] requestHash) {
        return store.usedKey(conn, tenant, cid, key).chain(used -> {
            if (used == null) {
                return Uni.createFrom().nullItem();
            }
            if (!MessageDigest.isEqual(used.requestHash(), requestHash)) {
                return Uni.createFrom().failure(ProblemException.unprocessable("idempotency-key-reused",
                        "Idempotency-Key " + key + " was already used with a different request body"));
            }
            return store.range(conn, used.session().id(), used.firstSeq(), used.lastSeq())
                    .map(stored -> new Appended(used.session(), stored, true));
        });
    }

    /**
     * One page of history as message JSON. {@code start..stop} are 0-based ranks (seq - 1; negative counts
     * from the newest) that the cache serves; on a miss PostgreSQL answers through {@code fromDatabase}.
     */
    public Uni<History> history(String tenant, String cid, HistoryQuery query) {
        Long[] ranks = query.ranks();
        return cache.read(tenant, cid, ranks[0], ranks[1])
                .chain(cached -> {
                    if (cached != null) {
                        if (expired(cached)) {
                            return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
                        }
                        List<String> items = ranks[0] == null ? List.of() : cached.messages();
                        return Uni.createFrom().item(new History(cached.count(), query.descending() ? reversed(items) : items, true));
                    }
                    return historyFromDatabase(tenant, cid, query);
                });
    }

    private Uni<History> historyFromDatabase(String tenant, String cid, HistoryQuery query) {
        return store.find(tenant, cid)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> {
                    int count = session.view().messageCount();
                    if (count <= cache.maxMessages()) {
                        return store.range(session.id(), 1, count)
                                .call(all -> cache.rewarm(tenant, cid, session, all))
                                .map(all -> new History(count, query.slice(all, count).stream().map(cache::toJson).toList(), false));
                    }
                    return query.fetch(store, session.id(), count)
                            .map(page -> new History(count, page.stream().map(cache::toJson).toList(), false));
                });
    }

    public Uni<List<SearchHit>> search(String tenant, String q, String userId, int limit, int offset) {
        return store.search(tenant, q, userId, limit, offset);
    }

    private static boolean expired(SessionCache.Cached cached) {
        return cached.expiresAtMillis() != null && cached.expiresAtMillis() <= System.currentTimeMillis();
    }

    private static List<String> reversed(List<String> items) {
        List<String> copy = new ArrayList<>(items);
        Collections.reverse(copy);
        return copy;
    }

    /** A session and whether this call created it. */
    public record Created(Session session, boolean created) {
    }

    private record StoredCreated(StoredSession session, boolean created) {
    }

    /** The patchable fields; {@code keepExpiry} false means set expiry from {@code ttlSeconds} (null: none). */
    public record SessionPatch(String title, String metadata, Long ttlSeconds, boolean keepExpiry) {
    }

    /** A page of message JSON, with the session's message count and whether Redis answered. */
    public record History(int count, List<String> messages, boolean cacheHit) {
    }
}
